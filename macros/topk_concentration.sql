{% from "common.sql" import relation %}

{#- Mass of each value: its row count, or the sum of a weight column. -#}
{% macro mass(weight) -%}
{% if weight %}SUM(CAST({{ weight | ident }} AS DOUBLE)){% else %}CAST(COUNT(*) AS DOUBLE){% endif %}
{%- endmacro %}

{#- Concentration of the current window's mass over the values of a column, one row per metric (k = metric name,
    a = value). With a baseline, also the values that held at least min_share of the baseline and are now gone:
    their count as `dropped_values`, and the largest of them by name (b = 1). When either side holds no mass (e.g. an
    empty window) nothing can be said to have vanished: `dropped_values` is NULL and no name is listed. -#}
{% macro concentration(column, weight, k, current, baseline, min_share, list_limit, tag='') -%}
WITH {{ tag }}cur AS (
  SELECT {{ column | ident }} AS v, {{ mass(weight) }} AS n FROM {{ relation(current) }} AS c_rel
  WHERE {{ column | ident }} IS NOT NULL GROUP BY 1
),
{{ tag }}ranked AS (
  SELECT n, ROW_NUMBER() OVER (ORDER BY n DESC) AS r_desc, ROW_NUMBER() OVER (ORDER BY n ASC NULLS FIRST) AS r_asc,
    SUM(n) OVER () AS total, CAST(COUNT(*) OVER () AS DOUBLE) AS d
  FROM {{ tag }}cur WHERE n > 0
),
{{ tag }}stats AS (
  SELECT
    SUM(CASE WHEN r_desc <= {{ k | literal }} THEN n ELSE 0 END) / MAX(total) AS top_k_share,
    SUM((n / total) * (n / total)) AS hhi,
    CASE WHEN MAX(d) IS NULL THEN NULL WHEN MAX(d) > 1 THEN -SUM(CASE WHEN n / total > 0 THEN (n / total) * LN(n / total) ELSE 0 END) / LN(MAX(d)) ELSE 0 END
      AS entropy_norm,
    CASE WHEN MAX(d) IS NULL THEN NULL WHEN MAX(d) > 1 THEN 2 * SUM(r_asc * n) / (MAX(d) * MAX(total)) - (MAX(d) + 1) / MAX(d)
      ELSE 0 END AS gini,
    CAST(COUNT(*) AS DOUBLE) AS distinct_count
  FROM {{ tag }}ranked
){% if baseline %},
{{ tag }}base AS (
  SELECT v, n / SUM(n) OVER () AS share FROM (
    SELECT {{ column | ident }} AS v, {{ mass(weight) }} AS n FROM {{ relation(baseline) }} AS b_rel
    WHERE {{ column | ident }} IS NOT NULL GROUP BY 1
  ) AS base_counts WHERE n > 0
),
{{ tag }}dropped AS (
  SELECT {{ tag }}base.v, {{ tag }}base.share FROM {{ tag }}base LEFT JOIN {{ tag }}cur ON {{ tag }}base.v = {{ tag }}cur.v
  WHERE {{ tag }}base.share >= {{ min_share | literal }} AND ({{ tag }}cur.v IS NULL OR {{ tag }}cur.n <= 0)
){% endif %}

SELECT 'top_k_share' AS k, top_k_share AS a, CAST(NULL AS DOUBLE) AS b FROM {{ tag }}stats
UNION ALL SELECT 'hhi', hhi, NULL FROM {{ tag }}stats
UNION ALL SELECT 'entropy_norm', entropy_norm, NULL FROM {{ tag }}stats
UNION ALL SELECT 'gini', gini, NULL FROM {{ tag }}stats
UNION ALL SELECT 'distinct_count', distinct_count, NULL FROM {{ tag }}stats
{% if baseline %}
UNION ALL SELECT 'dropped_values',
  CASE WHEN distinct_count > 0 AND EXISTS (SELECT 1 FROM {{ tag }}base) THEN (SELECT CAST(COUNT(*) AS DOUBLE) FROM {{ tag }}dropped) END,
  NULL
FROM {{ tag }}stats
UNION ALL SELECT * FROM (
  SELECT CAST(v AS VARCHAR), share, 1 FROM {{ tag }}dropped WHERE EXISTS (SELECT 1 FROM {{ tag }}ranked)
  ORDER BY share DESC, CAST(v AS VARCHAR) LIMIT {{ list_limit | literal }}
) AS dropped_names
{% endif %}
{%- endmacro %}
