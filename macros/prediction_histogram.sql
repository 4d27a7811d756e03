{% from "common.sql" import is_valid_number %}

{% macro mean(column, floating) -%}
AVG(CASE WHEN {{ is_valid_number(column, floating) }} THEN CAST({{ column | ident }} AS DOUBLE) END)
{%- endmacro %}

{#- Sample standard deviation (n - 1 in the denominator). -#}
{% macro stddev(column, floating) -%}
STDDEV_SAMP(CASE WHEN {{ is_valid_number(column, floating) }} THEN CAST({{ column | ident }} AS DOUBLE) END)
{%- endmacro %}

{#- Scores at or above the decision threshold count as positive predictions. -#}
{% macro positive_count(column, floating, threshold) -%}
COUNT(CASE WHEN {{ is_valid_number(column, floating) }} AND CAST({{ column | ident }} AS DOUBLE) >= {{ threshold | literal }} THEN 1 END)
{%- endmacro %}
