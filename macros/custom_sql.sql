{#- custom_sql: a user's aggregate expression, checked and written in canonical SQL by sqlmon.sql.custom. -#}
{#- `output_name`, the metric's name, names the output column. -#}
{% macro expression(sql, output_name) -%}
{{ sql }}
{%- endmacro %}

{#- A user's whole query (checked, its placeholders filled by sqlmon.sql.custom), its columns typed alike on every
    engine: the metric's name and segment as text, its value as DOUBLE. -#}
{% macro query(sql, segmented) -%}
{%- set names = ["metric", "value", "segment"] if segmented else ["metric", "value"] -%}
SELECT {% for name in names %}CAST({{ name | ident }} AS {{ "DOUBLE" if name == "value" else "VARCHAR" }}) AS {{ name | ident }}{{ ", " if not loop.last }}{% endfor %}
FROM ({{ sql }}) AS custom_query
{%- endmacro %}
