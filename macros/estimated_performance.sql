{% from "common.sql" import is_valid_number %}
{% from "model_performance.sql" import y %}
{% from "calibration.sql" import reliability_bin %}

{% macro p(prediction) -%}
CAST({{ prediction | ident }} AS DOUBLE)
{%- endmacro %}

{#- A score the estimate reads as a probability: valid (not NULL, not NaN) and within [0, 1]. ±inf is outside. -#}
{% macro in_range(prediction, floating) -%}
({{ is_valid_number(prediction, floating) }} AND {{ p(prediction) }} >= 0 AND {{ p(prediction) }} <= 1)
{%- endmacro %}

{% macro scored_count(prediction, floating) -%}
COUNT(CASE WHEN {{ in_range(prediction, floating) }} THEN 1 END)
{%- endmacro %}

{#- Valid scores that are no probability (e.g. a logit by mistake): left out of the estimate, and counted. -#}
{% macro out_of_range_count(prediction, floating) -%}
COUNT(CASE WHEN {{ is_valid_number(prediction, floating) }} AND ({{ p(prediction) }} < 0 OR {{ p(prediction) }} > 1) THEN 1 END)
{%- endmacro %}

{#- An expected confusion-matrix cell: over the rows predicted positive (p ≥ threshold) or negative, Σ p (the
    expected positives among them) or Σ (1 − p) (the expected negatives). No labels are read. -#}
{% macro expected_cell(prediction, floating, threshold, predicted, actual) -%}
SUM(CASE WHEN {{ in_range(prediction, floating) }}
  AND {{ p(prediction) }} {{ ">=" if predicted else "<" }} {{ threshold | literal }}
  THEN {% if actual %}{{ p(prediction) }}{% else %}1 - {{ p(prediction) }}{% endif %} END)
{%- endmacro %}

{#- Checking the assumption on the baseline, over its labelled rows with a score in [0, 1]. -#}
{% macro labelled_in_range(prediction, floating, label) -%}
({{ in_range(prediction, floating) }} AND {{ label | ident }} IS NOT NULL)
{%- endmacro %}

{#- A reliability bin (macros/calibration.sql) over the labelled rows with a score in [0, 1]. -#}
{% macro baseline_bin(prediction, floating, label, lower, upper, stat) -%}
{{ reliability_bin(prediction, label, labelled_in_range(prediction, floating, label), lower, upper, stat) }}
{%- endmacro %}

{#- Σ over labelled rows of the chance the decision is right (`expected`: p or 1 − p) or of whether it was
    (`realised`: y or 1 − y), as the decision is positive or negative. -#}
{% macro baseline_correct(prediction, floating, label, threshold, kind) -%}
SUM(CASE WHEN {{ labelled_in_range(prediction, floating, label) }} THEN
{%- set v = p(prediction) if kind == "expected" else y(label) %}
  CASE WHEN {{ p(prediction) }} >= {{ threshold | literal }} THEN {{ v }} ELSE 1 - {{ v }} END
END)
{%- endmacro %}
