{#- Building blocks shared by the monitor macros. Written in DuckDB SQL (sqlmon's canonical dialect); sqlglot
    writes it out for the target engine. Identifiers and literals only ever pass through the ident/table/literal
    filters. Ascending window orders say NULLS FIRST although no NULL reaches them: engines differ in where NULLs
    sort by default, and BigQuery cannot express DuckDB's default inside a window. -#}

{#- The rows a request reads: a table, cut to a half-open time window and to one segment when the request has
    them, and joined with its labels when they live in a table of their own. -#}
{% macro relation(rel) -%}
{% if rel.labels %}
{{ labelled_rows(rel) }}
{%- else %}
{{ window_rows(rel) }}
{%- endif %}
{%- endmacro %}

{% macro window_rows(rel) -%}
{% if rel.window or rel.segment %}
(SELECT * FROM {{ rel.table | table }} WHERE {% if rel.window %}{{ rel.timestamp | ident }} >= {{ rel.window.start | timestamp }} AND {{ rel.timestamp | ident }} < {{ rel.window.end | timestamp }}{% endif %}
{%- if rel.window and rel.segment %} AND {% endif %}{% if rel.segment %}{{ segment_condition(rel.segment) }}{% endif %})
{%- else %}
{{ rel.table | table }}
{%- endif %}
{%- endmacro %}

{#- The window's rows (cut before the join, so the labels only meet the window) LEFT JOINed to at most one label per
    key, so the join never multiplies rows: every source column, plus the label and a conflict flag (1 when the
    key has differing labels). NULL labels do not count. A key's label is the latest by the labels' timestamp (NULL
    timestamps oldest; the greater label breaks a tie); without a timestamp, differing labels leave the key
    unlabelled, since nothing says which is true. -#}
{% macro labelled_rows(rel) -%}
{%- set lab = rel.labels -%}
{%- set keys -%}
{% for _, column in lab.keys %}{{ column | ident }}{{ ", " if not loop.last }}{% endfor %}
{%- endset -%}
(SELECT l_source.*, l_one.l_label AS {{ lab.output_label | ident }}, l_one.l_conflict AS {{ lab.output_conflict | ident }}
FROM {{ window_rows(rel) }} AS l_source
LEFT JOIN (
  SELECT {% for _ in lab.keys %}{{ ("l_key_" ~ loop.index0) | ident }}, {% endfor %}
    {% if lab.timestamp %}l_label{% else %}CASE WHEN l_same < l_all THEN NULL ELSE l_label END AS l_label{% endif %},
    CASE WHEN l_same < l_all THEN 1 ELSE 0 END AS l_conflict
  FROM (
    SELECT {% for _, column in lab.keys %}{{ column | ident }} AS {{ ("l_key_" ~ loop.index0) | ident }}, {% endfor %}
      {{ lab.label | ident }} AS l_label,
      ROW_NUMBER() OVER (PARTITION BY {{ keys }} ORDER BY
        {%- if lab.timestamp %} {{ lab.timestamp | ident }} DESC NULLS LAST,{% endif %} {{ lab.label | ident }} DESC NULLS LAST) AS l_rank,
      COUNT(*) OVER (PARTITION BY {{ keys }}, {{ lab.label | ident }}) AS l_same,
      COUNT(*) OVER (PARTITION BY {{ keys }}) AS l_all
    FROM {{ lab.table | table }}
    WHERE {{ lab.label | ident }} IS NOT NULL
  ) AS l_ranked
  WHERE l_rank = 1
) AS l_one
ON {% for column, _ in lab.keys %}l_source.{{ column | ident }} = l_one.{{ ("l_key_" ~ loop.index0) | ident }}{{ " AND " if not loop.last }}{% endfor %})
{%- endmacro %}

{#- Rows of one segment: each segment column equals its value, or IS NULL for the NULL segment. -#}
{% macro segment_condition(segment) -%}
({% for column, value in segment.pairs %}{{ column | ident }} {% if value is none %}IS NULL{% else %}= {{ value | literal }}{% endif %}{{ " AND " if not loop.last }}{% endfor %})
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

{#- Inverted-CDF quantiles at k/bins for k = 1 … bins−1, one row each (k, a = the quantile, b = NULL); no rows when
    no value is valid. The quantile is the value of rank ceil(n·q) among the n valid values in ascending order, with
    q = k/bins and n·q evaluated in double precision, which is exactly numpy.quantile(method='inverted_cdf') on the raw
    values. (QUANTILE_DISC differs: it rounds q or n − n·q, so at some bin counts it picks the neighbouring value.)
    The ranks are computed first, so the ranked values meet them in an equi-join. `tag` prefixes the CTE names:
    Spark hoists CTEs out of subqueries, so two parts of one statement must not share names. -#}
{% macro quantiles(rel, column, floating, bins, below=false, tag='') -%}
WITH {{ tag }}q_valid AS (
  SELECT CAST({{ column | ident }} AS DOUBLE) AS x FROM {{ relation(rel) }} AS q_rel
  WHERE {{ is_valid_number(column, floating) }}
),
{{ tag }}q_ranks AS (
  SELECT q_k.k, CEIL(CAST(q_n.n AS DOUBLE) * (CAST(q_k.k AS DOUBLE) / CAST({{ bins | literal }} AS DOUBLE))) AS r
  FROM (SELECT COUNT(*) AS n FROM {{ tag }}q_valid) AS q_n
  CROSS JOIN (VALUES {% for k in range(1, bins) %}({{ k | literal }}){{ ", " if not loop.last }}{% endfor %}) AS q_k(k)
)
{%- if below %}
{#- with b = the number of valid values below the quantile (its RANK − 1), as a frozen profile keeps them -#}
SELECT CAST({{ tag }}q_ranks.k AS VARCHAR) AS k, q_sorted.x AS a, CAST(q_sorted.below AS DOUBLE) AS b
FROM (
  SELECT x, ROW_NUMBER() OVER (ORDER BY x ASC NULLS FIRST) AS rn, RANK() OVER (ORDER BY x ASC NULLS FIRST) - 1 AS below
  FROM {{ tag }}q_valid
) AS q_sorted
{%- else %}
SELECT CAST({{ tag }}q_ranks.k AS VARCHAR) AS k, q_sorted.x AS a, CAST(NULL AS DOUBLE) AS b
FROM (SELECT x, ROW_NUMBER() OVER (ORDER BY x ASC NULLS FIRST) AS rn FROM {{ tag }}q_valid) AS q_sorted
{%- endif %}
 JOIN {{ tag }}q_ranks ON q_sorted.rn = {{ tag }}q_ranks.r
{%- endmacro %}

{#- Cast to a plain TIMESTAMP: a DATE becomes its midnight, a TIMESTAMPTZ its UTC time (sessions run in UTC). -#}
{% macro min_value(column) -%}
MIN(CAST({{ column | ident }} AS TIMESTAMP))
{%- endmacro %}

{% macro max_value(column) -%}
MAX(CAST({{ column | ident }} AS TIMESTAMP))
{%- endmacro %}

{#- Finite values only: the range and spread that equal-width bins and the normalised Wasserstein distance use. -#}
{% macro is_finite_number(column, floating) -%}
({{ is_valid_number(column, floating) }}{% if floating %} AND NOT ISINF({{ column | ident }}){% endif %})
{%- endmacro %}

{% macro finite_count(column, floating) -%}
COUNT(CASE WHEN {{ is_finite_number(column, floating) }} THEN 1 END)
{%- endmacro %}

{% macro finite_min(column, floating) -%}
MIN(CASE WHEN {{ is_finite_number(column, floating) }} THEN CAST({{ column | ident }} AS DOUBLE) END)
{%- endmacro %}

{% macro finite_max(column, floating) -%}
MAX(CASE WHEN {{ is_finite_number(column, floating) }} THEN CAST({{ column | ident }} AS DOUBLE) END)
{%- endmacro %}

{#- Sample standard deviation (n − 1) of the finite values. -#}
{% macro finite_stddev(column, floating) -%}
STDDEV_SAMP(CASE WHEN {{ is_finite_number(column, floating) }} THEN CAST({{ column | ident }} AS DOUBLE) END)
{%- endmacro %}
