{% from "model_performance.sql" import y, labelled %}

{#- One number per reliability bin [lower, upper) (open at the ends) over labelled rows: the row count, the sum of
    scores or the sum of labels. -#}
{% macro bin_stat(prediction, floating, label, lower, upper, stat) -%}
{%- set in_bin -%}
{{ labelled(prediction, floating, label) }}
{%- if lower is not none %} AND CAST({{ prediction | ident }} AS DOUBLE) >= {{ lower | literal }}{% endif %}
{%- if upper is not none %} AND CAST({{ prediction | ident }} AS DOUBLE) < {{ upper | literal }}{% endif %}
{%- endset -%}
{% if stat == "count" %}COUNT(CASE WHEN {{ in_bin }} THEN 1 END)
{%- elif stat == "score" %}SUM(CASE WHEN {{ in_bin }} THEN CAST({{ prediction | ident }} AS DOUBLE) END)
{%- else %}SUM(CASE WHEN {{ in_bin }} THEN {{ y(label) }} END){% endif %}
{%- endmacro %}
