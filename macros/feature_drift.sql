{% from "common.sql" import relation, is_valid_number %}

{#- Per-category counts on both sides (k, baseline count a, current count b). Categories are ranked by their
    larger share of either side, so a category that is new and large in the window ranks high however big the
    baseline table is; those beyond max_categories are folded into one row with k = NULL. -#}
{% macro category_counts(column, current, baseline, max_categories, tag='') -%}
SELECT CASE WHEN rn <= {{ max_categories | literal }} THEN k END AS k, SUM(nb) AS a, SUM(nc) AS b
FROM (
  SELECT k, nb, nc, ROW_NUMBER() OVER (
    ORDER BY GREATEST(COALESCE(nb / NULLIF(tb, 0), 0), COALESCE(nc / NULLIF(tc, 0), 0)) DESC, k ASC NULLS FIRST
  ) AS rn
  FROM (
  SELECT k, nb, nc, SUM(nb) OVER () AS tb, SUM(nc) OVER () AS tc
  FROM (
    SELECT COALESCE(base.k, cur.k) AS k, CAST(COALESCE(base.n, 0) AS DOUBLE) AS nb,
      CAST(COALESCE(cur.n, 0) AS DOUBLE) AS nc
    FROM (
      SELECT CAST({{ column | ident }} AS VARCHAR) AS k, COUNT(*) AS n FROM {{ relation(baseline) }} AS b_rel
      WHERE {{ column | ident }} IS NOT NULL GROUP BY 1
    ) AS base
    FULL OUTER JOIN (
      SELECT CAST({{ column | ident }} AS VARCHAR) AS k, COUNT(*) AS n FROM {{ relation(current) }} AS c_rel
      WHERE {{ column | ident }} IS NOT NULL GROUP BY 1
    ) AS cur ON base.k = cur.k
  ) AS joined
  ) AS totals
) AS ranked
GROUP BY 1
{%- endmacro %}

{#- Exact two-sample KS statistic (a) and 1-Wasserstein distance (b) from per-value counts over the union of both
    samples: F_base and F_cur are step functions that only change at observed values, so the supremum and the
    integral of |F_base - F_cur| are taken exactly over that grid. Wasserstein uses finite values only, and is NULL
    when a side has none. -#}
{% macro ks_wasserstein(column, floating, floating_base, current, baseline, tag='') -%}
SELECT CAST(NULL AS VARCHAR) AS k, MAX(ABS(fb - fc)) AS a,
  CASE WHEN MAX(gb) IS NOT NULL AND MAX(gc) IS NOT NULL
    THEN SUM(CASE WHEN ISINF(x) OR dx IS NULL OR ISINF(dx) THEN 0 ELSE ABS(gb - gc) * dx END) END AS b
FROM (
  SELECT x,
    SUM(nb) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) / NULLIF(SUM(nb) OVER (), 0) AS fb,
    SUM(nc) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) / NULLIF(SUM(nc) OVER (), 0) AS fc,
    SUM(fin_b) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) / NULLIF(SUM(fin_b) OVER (), 0) AS gb,
    SUM(fin_c) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) / NULLIF(SUM(fin_c) OVER (), 0) AS gc,
    LEAD(x) OVER (ORDER BY x ASC NULLS FIRST) - x AS dx
  FROM (
    SELECT x, CAST(SUM(nb) AS DOUBLE) AS nb, CAST(SUM(nc) AS DOUBLE) AS nc,
      CAST(SUM(CASE WHEN ISINF(x) THEN 0 ELSE nb END) AS DOUBLE) AS fin_b,
      CAST(SUM(CASE WHEN ISINF(x) THEN 0 ELSE nc END) AS DOUBLE) AS fin_c
    FROM (
      SELECT CAST({{ column | ident }} AS DOUBLE) AS x, COUNT(*) AS nb, 0 AS nc FROM {{ relation(baseline) }} AS b_rel
      WHERE {{ is_valid_number(column, floating_base) }} GROUP BY 1
      UNION ALL
      SELECT CAST({{ column | ident }} AS DOUBLE) AS x, 0 AS nb, COUNT(*) AS nc FROM {{ relation(current) }} AS c_rel
      WHERE {{ is_valid_number(column, floating) }} GROUP BY 1
    ) AS sides
    GROUP BY x
  ) AS per_value
) AS cdfs
{%- endmacro %}
