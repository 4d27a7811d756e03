{% from "common.sql" import relation, is_valid_number, is_finite_number %}
{% from "feature_drift.sql" import cell_of %}

{#- What `sqlmon baseline create` stores about a column, computed where the rows are. -#}

{#- Valid values per equal-width cell over [lo, hi] (k = cell, a = count, b = finite count): the baseline side of
    feature_drift.ks_wasserstein_binned, kept so KS and Wasserstein can be bounded after the rows are gone. -#}
{% macro cells(rel, column, floating, lo, hi, cells, tag='') -%}
{%- set last = 1 if lo == hi else cells -%}
{%- set width = 0.0 if lo == hi else (hi - lo) / cells -%}
SELECT CAST(cell AS VARCHAR) AS k, CAST(COUNT(*) AS DOUBLE) AS a, CAST(COUNT(CASE WHEN fin THEN 1 END) AS DOUBLE) AS b
FROM (
  SELECT {{ cell_of(lo, hi, last, width) }} AS cell, fin
  FROM (
    SELECT CAST({{ column | ident }} AS DOUBLE) AS x, {{ is_finite_number(column, floating) }} AS fin
    FROM {{ relation(rel) }} AS c_rel WHERE {{ is_valid_number(column, floating) }}
  ) AS c_x
) AS c_cells
GROUP BY cell
{%- endmacro %}

{#- Counts per category, the `max_categories` largest first; the rest summed in one row with k = NULL. -#}
{% macro categories(rel, column, max_categories, tag='') -%}
SELECT CASE WHEN rn <= {{ max_categories | literal }} THEN k END AS k, CAST(SUM(n) AS DOUBLE) AS a, CAST(NULL AS DOUBLE) AS b
FROM (
  SELECT k, n, ROW_NUMBER() OVER (ORDER BY n DESC, k ASC NULLS FIRST) AS rn
  FROM (
    SELECT CAST({{ column | ident }} AS VARCHAR) AS k, COUNT(*) AS n FROM {{ relation(rel) }} AS k_rel
    WHERE {{ column | ident }} IS NOT NULL GROUP BY 1
  ) AS counted
) AS ranked
GROUP BY 1
{%- endmacro %}
