{% from "common.sql" import is_valid_number %}

{#- Missing values: NULL, and for floating columns NaN too when nan_as_null. -#}
{% macro null_count(column, floating, nan_as_null) -%}
COUNT(CASE WHEN {{ column | ident }} IS NULL{% if floating and nan_as_null %} OR ISNAN({{ column | ident }}){% endif %} THEN 1 END)
{%- endmacro %}
