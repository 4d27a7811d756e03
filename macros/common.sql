{#- Building blocks shared by the monitor macros. Written in DuckDB SQL (sqlmon's canonical dialect); sqlglot
    writes it out for the target engine. Identifiers and literals only ever pass through the ident/table/literal
    filters. -#}

{#- The rows a request reads: a table, cut to a half-open time window when the request has one. -#}
{% macro relation(rel) -%}
{% if rel.window %}
(SELECT * FROM {{ rel.table | table }} WHERE {{ rel.timestamp | ident }} >= {{ rel.window.start | timestamp }} AND {{ rel.timestamp | ident }} < {{ rel.window.end | timestamp }})
{%- else %}
{{ rel.table | table }}
{%- endif %}
{%- endmacro %}

{#- A value that takes part in numeric statistics: not NULL and, for floating columns, not NaN. ±inf takes part. -#}
{% macro is_valid_number(column, floating) -%}
({{ column | ident }} IS NOT NULL{% if floating %} AND NOT ISNAN({{ column | ident }}){% endif %})
{%- endmacro %}

{% macro row_count() -%}
COUNT(*)
{%- endmacro %}

{% macro valid_count(column, floating) -%}
COUNT(CASE WHEN {{ is_valid_number(column, floating) }} THEN 1 END)
{%- endmacro %}

{#- Rows in the bin [lower, upper); a missing bound is open (the first and last bins reach ±inf). -#}
{% macro bin_count(column, floating, lower, upper) -%}
COUNT(CASE WHEN {{ is_valid_number(column, floating) }}
{%- if lower is not none %} AND CAST({{ column | ident }} AS DOUBLE) >= {{ lower | literal }}{% endif %}
{%- if upper is not none %} AND CAST({{ column | ident }} AS DOUBLE) < {{ upper | literal }}{% endif %} THEN 1 END)
{%- endmacro %}

{#- Inverted-CDF quantile: the smallest value whose cumulative share reaches q (numpy's method='inverted_cdf'). -#}
{% macro quantile(column, floating, q) -%}
QUANTILE_DISC(CASE WHEN {{ is_valid_number(column, floating) }} THEN CAST({{ column | ident }} AS DOUBLE) END, {{ q | literal }})
{%- endmacro %}

{% macro min_value(column) -%}
MIN({{ column | ident }})
{%- endmacro %}

{% macro max_value(column) -%}
MAX({{ column | ident }})
{%- endmacro %}
