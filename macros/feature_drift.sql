{% from "common.sql" import relation, is_valid_number, is_finite_number %}

{#- The share of a count column's total in the rows up to and including this one (`before`: up to the one before),
    in ascending `order`: an empirical CDF over per-value or per-cell counts. The names are this file's own aliases. -#}
{% macro running_share(count, order, before=false) -%}
{%- if before -%}
COALESCE(SUM({{ count }}) OVER (ORDER BY {{ order }} ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
{%- else -%}
SUM({{ count }}) OVER (ORDER BY {{ order }} ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
{%- endif %} / NULLIF(SUM({{ count }}) OVER (), 0)
{%- endmacro %}

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
      {% if baseline.profile %}
      SELECT category AS k, "count" AS n FROM {{ baseline.table | table }} AS b_profile
      WHERE name = {{ baseline.profile[0] | literal }} AND version = {{ baseline.profile[1] | literal }}
        AND column_name = {{ column | literal }} AND entry = 'category' AND category IS NOT NULL
      {% else %}
      SELECT CAST({{ column | ident }} AS VARCHAR) AS k, COUNT(*) AS n FROM {{ relation(baseline) }} AS b_rel
      WHERE {{ column | ident }} IS NOT NULL GROUP BY 1
      {% endif %}
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
    {{ running_share('nb', 'x') }} AS fb,
    {{ running_share('nc', 'x') }} AS fc,
    {{ running_share('fin_b', 'x') }} AS gb,
    {{ running_share('fin_c', 'x') }} AS gc,
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

{#- KS and 1-Wasserstein bounded from cell counts, for samples too large to count per value. The baseline's finite
    range [lo, hi] is cut into `cells` equal-width cells, with one open cell below lo and one above hi; each side is
    counted per cell in one hash aggregation, so memory is O(cells) however many rows or distinct values there are.
    Two rows come back:
      ('ks', L, U): L = max over cells of |F_base − F_cur| at the cell's upper end, a value the exact statistic takes,
        so L ≤ D; inside a cell both CDFs lie between their values at the cell's two ends, so
        D ≤ U = max over cells of max(F_base(end) − F_cur(start), F_cur(end) − F_base(start)).
      ('wasserstein', low, up): per interior cell of width w the integral of |G_base − G_cur| (finite values only)
        lies between w·max(0, G_base(start) − G_cur(end), G_cur(start) − G_base(end)) and
        w·max(G_base(end) − G_cur(start), G_cur(end) − G_base(start)); empty cells contribute exactly; outside
        [lo, hi] the baseline's G is 0 or 1, so the tails are exact sums of distances to lo and hi.
    Cell numbers are monotone in x, so the bounds hold whatever the rounding of the cell arithmetic. -#}
{#- One side's rows per cell: the count of valid values, of finite ones, and the finite values' summed distance
    beyond the range (what the Wasserstein tails need). -#}
{#- The cell of x: 0 below lo, 1 … last over [lo, hi] (the last one closed), last + 1 above hi. -#}
{% macro cell_of(lo, hi, last, width) -%}
CASE WHEN x < {{ lo | literal }} THEN 0 WHEN x > {{ hi | literal }} THEN {{ (last + 1) | literal }}
  {%- if width == 0 %} ELSE 1{% else %} ELSE CAST(LEAST({{ last | literal }}, 1 + FLOOR((x - {{ lo | literal }}) / {{ width | literal }})) AS BIGINT){% endif %} END
{%- endmacro %}

{% macro _cell_counts(column, floating, rel, lo, hi, last, width, side) -%}
{% if rel.profile %}
{#- a frozen baseline: its cells were counted when it was made, on the same lo, hi and cells -#}
SELECT position AS cell, "count" AS nb, 0 AS nc, finite_count AS fb, 0 AS fc, 0 AS tail
FROM {{ rel.table | table }} AS b_profile
WHERE name = {{ rel.profile[0] | literal }} AND version = {{ rel.profile[1] | literal }}
  AND column_name = {{ column | literal }} AND entry = 'cell'
{%- else %}
SELECT {{ cell_of(lo, hi, last, width) }} AS cell,
  {% for s in ("b", "c") %}{% if s == side %}COUNT(*){% else %}0{% endif %} AS {{ ("n" ~ s) | ident }}, {% endfor %}
  {% for s in ("b", "c") %}{% if s == side %}COUNT(CASE WHEN fin THEN 1 END){% else %}0{% endif %} AS {{ ("f" ~ s) | ident }}, {% endfor %}
  SUM(CASE WHEN fin AND x < {{ lo | literal }} THEN {{ lo | literal }} - x WHEN fin AND x > {{ hi | literal }} THEN x - {{ hi | literal }} ELSE 0 END) AS tail
FROM (
  SELECT CAST({{ column | ident }} AS DOUBLE) AS x, {{ is_finite_number(column, floating) }} AS fin
  FROM {{ relation(rel) }} AS {{ (side ~ "_rel") | ident }} WHERE {{ is_valid_number(column, floating) }}
) AS {{ (side ~ "_x") | ident }}
GROUP BY 1
{%- endif %}
{%- endmacro %}

{#- KS and 1-Wasserstein bounded from cell counts, for samples too large to count per value. The baseline's finite
    range [lo, hi] is cut into `cells` equal-width cells (the last one closed), with one open cell below lo and one
    above hi; each side is counted per cell by one hash aggregation, so memory is O(cells) however many rows or
    distinct values there are. Two rows come back:
      ('ks', L, U): L = max over cells of |F_base − F_cur| at the cell's upper end — a value the exact statistic D
        takes, so L ≤ D; inside a cell both CDFs lie between their values at the cell's two ends, so
        D ≤ U = max over cells of max(F_base(end) − F_cur(start), F_cur(end) − F_base(start)).
      ('wasserstein', low, up): over an interior cell of width w, the integral of |G_base − G_cur| (finite values
        only) lies between w·max(0, G_base(start) − G_cur(end), G_cur(start) − G_base(end)) and
        w·max(G_base(end) − G_cur(start), G_cur(end) − G_base(start)); empty cells contribute exactly; outside
        [lo, hi] the baseline's G is 0 or 1, so the tails are exact sums of distances to lo and hi.
    The cell number is monotone in x, so the bounds hold whatever the rounding of the cell arithmetic. A baseline
    with one finite value (lo = hi) has one interior cell, a single point, where the bound is exact. -#}
{% macro ks_wasserstein_binned(column, floating, floating_base, current, baseline, lo, hi, cells, tag='') -%}
{%- set last = 1 if lo == hi else cells -%}
{%- set width = 0.0 if lo == hi else (hi - lo) / cells -%}
WITH {{ tag }}cells AS (
  SELECT cell, CAST(SUM(nb) AS DOUBLE) AS nb, CAST(SUM(nc) AS DOUBLE) AS nc, CAST(SUM(fb) AS DOUBLE) AS fb,
    CAST(SUM(fc) AS DOUBLE) AS fc, SUM(CASE WHEN nc > 0 THEN tail ELSE 0 END) AS tc
  FROM (
    {{ _cell_counts(column, floating_base, baseline, lo, hi, last, width, "b") }}
    UNION ALL
    {{ _cell_counts(column, floating, current, lo, hi, last, width, "c") }}
  ) AS sides
  GROUP BY cell
)
SELECT 'ks' AS k, MAX(ABS(cb - cc)) AS a,
  MAX(CASE WHEN {{ width | literal }} = 0 AND cell = 1 THEN ABS(cb - cc) ELSE GREATEST(cb - pc, cc - pb) END) AS b
FROM (
  SELECT cell,
    {{ running_share('nb', 'cell') }} AS cb,
    {{ running_share('nc', 'cell') }} AS cc,
    {{ running_share('nb', 'cell', before=true) }} AS pb,
    {{ running_share('nc', 'cell', before=true) }} AS pc
  FROM {{ tag }}cells
) AS ks_cdfs
UNION ALL
SELECT 'wasserstein' AS k,
  CASE WHEN MAX(gb) IS NOT NULL AND MAX(gc) IS NOT NULL THEN SUM(exact_part + inner_width * GREATEST(0, pgb - gc, pgc - gb)) END AS a,
  CASE WHEN MAX(gb) IS NOT NULL AND MAX(gc) IS NOT NULL THEN SUM(exact_part + inner_width * GREATEST(gb - pgc, gc - pgb)) END AS b
FROM (
  SELECT gb, gc, pgb, pgc,
    CASE WHEN cell BETWEEN 1 AND {{ last | literal }} THEN {{ width | literal }} ELSE 0 END AS inner_width,
    COALESCE(tc / NULLIF(tfc, 0), 0)
      + {{ width | literal }} * ABS(pgb - pgc) * GREATEST(0, LEAST(cell - 1, {{ last | literal }}) - GREATEST(COALESCE(prev_cell, 0) + 1, 1) + 1)
      AS exact_part
  FROM (
    SELECT cell, tc, SUM(fc) OVER () AS tfc,
      LAG(cell) OVER (ORDER BY cell ASC NULLS FIRST) AS prev_cell,
      {{ running_share('fb', 'cell') }} AS gb,
      {{ running_share('fc', 'cell') }} AS gc,
      {{ running_share('fb', 'cell', before=true) }} AS pgb,
      {{ running_share('fc', 'cell', before=true) }} AS pgc
    FROM {{ tag }}cells
  ) AS w_cdfs
) AS w_parts
{%- endmacro %}
