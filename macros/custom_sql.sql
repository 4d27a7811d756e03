{#- custom_sql: a user's aggregate expression, checked and written in canonical SQL by sqlmon.sql.custom. -#}
{#- `output_name`, the metric's name, names the output column. -#}
{% macro expression(sql, output_name) -%}
{{ sql }}
{%- endmacro %}
