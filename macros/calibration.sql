{% from "model_performance.sql" import y, labelled %}

{#- Reliability bins, for `calibration` and for `estimated_performance`'s check on its baseline: one number per bin
    [lower, upper) (a missing bound is open) over the rows the condition `rows` admits: their count, the sum of their
    scores or the sum of their labels. -#}
{% macro reliability_bin(prediction, label, rows, lower, upper, stat) -%}
{%- set in_bin -%}
{{ rows }}
{%- if lower is not none %} AND CAST({{ prediction | ident }} AS DOUBLE) >= {{ lower | literal }}{% endif %}
{%- if upper is not none %} AND CAST({{ prediction | ident }} AS DOUBLE) < {{ upper | literal }}{% endif %}
{%- endset -%}
{% if stat == "count" %}COUNT(CASE WHEN {{ in_bin }} THEN 1 END)
{%- elif stat == "score" %}SUM(CASE WHEN {{ in_bin }} THEN CAST({{ prediction | ident }} AS DOUBLE) END)
{%- else %}SUM(CASE WHEN {{ in_bin }} THEN {{ y(label) }} END){% endif %}
{%- endmacro %}

{#- A reliability bin over the labelled rows. -#}
{% macro bin_stat(prediction, floating, label, lower, upper, stat) -%}
{{ reliability_bin(prediction, label, labelled(prediction, floating, label), lower, upper, stat) }}
{%- endmacro %}
