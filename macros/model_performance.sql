{% from "common.sql" import relation, is_valid_number %}

{#- Rows that count: a valid prediction and, for the `labelled_` aggregates, a label. The label is read as 0/1
    through INTEGER, because PostgreSQL casts a BOOLEAN to INTEGER but not to DOUBLE. -#}
{% macro y(label) -%}
CAST(CAST({{ label | ident }} AS INTEGER) AS DOUBLE)
{%- endmacro %}

{% macro labelled(prediction, floating, label) -%}
{{ is_valid_number(prediction, floating) }} AND {{ label | ident }} IS NOT NULL
{%- endmacro %}

{% macro scored_count(prediction, floating) -%}
COUNT(CASE WHEN {{ is_valid_number(prediction, floating) }} THEN 1 END)
{%- endmacro %}

{#- Scored rows whose key has differing labels in the labels table (only with a labels join). -#}
{% macro conflict_count(prediction, floating, conflict) -%}
COUNT(CASE WHEN {{ is_valid_number(prediction, floating) }} AND {{ conflict | ident }} = 1 THEN 1 END)
{%- endmacro %}

{% macro labelled_count(prediction, floating, label) -%}
COUNT(CASE WHEN {{ labelled(prediction, floating, label) }} THEN 1 END)
{%- endmacro %}

{#- Confusion-matrix cells at the decision threshold: predicted positive when prediction ≥ threshold. -#}
{% macro cell(prediction, floating, label, threshold, predicted, actual) -%}
COUNT(CASE WHEN {{ labelled(prediction, floating, label) }}
  AND CAST({{ prediction | ident }} AS DOUBLE) {{ ">=" if predicted else "<" }} {{ threshold | literal }}
  AND {{ y(label) }} = {{ (1.0 if actual else 0.0) | literal }} THEN 1 END)
{%- endmacro %}

{% macro predicted_positive(prediction, floating, threshold) -%}
COUNT(CASE WHEN {{ is_valid_number(prediction, floating) }}
  AND CAST({{ prediction | ident }} AS DOUBLE) >= {{ threshold | literal }} THEN 1 END)
{%- endmacro %}

{#- Σ of the per-row log loss, with the probability clipped to [ε, 1 − ε] (ε = float64 machine epsilon, as
    scikit-learn). -#}
{% macro log_loss_sum(prediction, floating, label, eps) -%}
SUM(CASE WHEN {{ labelled(prediction, floating, label) }} THEN
  -({{ y(label) }} * LN(GREATEST(LEAST(CAST({{ prediction | ident }} AS DOUBLE), 1 - {{ eps | literal }}), {{ eps | literal }}))
    + (1 - {{ y(label) }}) * LN(1 - GREATEST(LEAST(CAST({{ prediction | ident }} AS DOUBLE), 1 - {{ eps | literal }}), {{ eps | literal }})))
END)
{%- endmacro %}

{#- Σ over labelled rows of an expression of p (prediction) and y (label). -#}
{% macro error_sum(prediction, floating, label, kind) -%}
SUM(CASE WHEN {{ labelled(prediction, floating, label) }} THEN
{%- set p = "CAST(" ~ (prediction | ident) ~ " AS DOUBLE)" %}
{%- set yv = "CAST(" ~ (label | ident) ~ " AS DOUBLE)" %}
{%- if kind == "squared" %} ({{ p }} - {{ y(label) }}) * ({{ p }} - {{ y(label) }})
{%- elif kind == "absolute" %} ABS({{ p }} - {{ yv }})
{%- elif kind == "squared_value" %} ({{ p }} - {{ yv }}) * ({{ p }} - {{ yv }})
{%- elif kind == "signed" %} {{ p }} - {{ yv }}
{%- elif kind == "relative" %} ABS({{ p }} - {{ yv }}) / GREATEST(ABS({{ yv }}), {{ 2.220446049250313e-16 | literal }})
{%- endif %} END)
{%- endmacro %}

{#- n · Var(y) over labelled rows: the total sum of squares for R². -#}
{% macro label_sum_of_squares(prediction, floating, label) -%}
VAR_POP(CASE WHEN {{ labelled(prediction, floating, label) }} THEN CAST({{ label | ident }} AS DOUBLE) END)
  * COUNT(CASE WHEN {{ labelled(prediction, floating, label) }} THEN 1 END)
{%- endmacro %}

{#- ROC AUC with ties, as the Mann–Whitney statistic: over the distinct scores s,
    AUC = Σ_s pos(s) · (neg(< s) + neg(s) / 2) / (P · N). NULL when a class is absent. -#}
{% macro roc_auc(prediction, floating, label, current, tag='') -%}
SELECT CAST(NULL AS VARCHAR) AS k,
  CASE WHEN MAX(total_pos) > 0 AND MAX(total_neg) > 0
    THEN SUM(pos * (neg_below + 0.5 * neg)) / (MAX(total_pos) * MAX(total_neg)) END AS a,
  CAST(NULL AS DOUBLE) AS b
FROM (
  SELECT pos, neg,
    SUM(neg) OVER (ORDER BY s ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - neg AS neg_below,
    SUM(pos) OVER () AS total_pos, SUM(neg) OVER () AS total_neg
  FROM (
    SELECT CAST({{ prediction | ident }} AS DOUBLE) AS s, SUM({{ y(label) }}) AS pos, SUM(1 - {{ y(label) }}) AS neg
    FROM {{ relation(current) }} AS c_rel
    WHERE {{ labelled(prediction, floating, label) }}
    GROUP BY 1
  ) AS per_score
) AS ranked
{%- endmacro %}
