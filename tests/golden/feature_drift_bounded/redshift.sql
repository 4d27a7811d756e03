-- sqlmon compile: 1 monitor(s), dialect redshift

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 5 statement(s)
-- monitors: feature_drift_bounded

-- 1. aggregates over main.training — the baseline table: computed once per run, reused for every window
SELECT
  MIN(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
        )
        AND NOT ABS("amount") = CAST('Infinity' AS DOUBLE PRECISION)
      )
      THEN CAST("amount" AS DOUBLE PRECISION)
    END
  ) AS "finite_min__amount",
  MAX(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
        )
        AND NOT ABS("amount") = CAST('Infinity' AS DOUBLE PRECISION)
      )
      THEN CAST("amount" AS DOUBLE PRECISION)
    END
  ) AS "finite_max__amount"
FROM "main"."training" AS _rel;

-- 2. distributions: quantiles
SELECT
  req,
  k,
  a,
  b
FROM (
  SELECT
    0 AS req,
    CAST(k AS VARCHAR(MAX)) AS k,
    CAST(a AS DOUBLE PRECISION) AS a,
    CAST(b AS DOUBLE PRECISION) AS b
  FROM (
    WITH p0_q_valid AS (
      SELECT
        CAST("amount" AS DOUBLE PRECISION) AS x
      FROM "main"."training" AS q_rel
      WHERE
        (
          NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
        )
    ), p0_q_ranks AS (
      SELECT
        q_k.k,
        CEIL(
          CAST(q_n.n AS DOUBLE PRECISION) * (
            CAST(q_k.k AS DOUBLE PRECISION) / CAST(4 AS DOUBLE PRECISION)
          )
        ) AS r
      FROM (
        SELECT
          COUNT(*) AS n
        FROM p0_q_valid
      ) AS q_n
      CROSS JOIN (
        SELECT
          1 AS k
        UNION ALL
        SELECT
          2
        UNION ALL
        SELECT
          3
      ) AS q_k
    )
    SELECT
      CAST(p0_q_ranks.k AS VARCHAR(MAX)) AS k,
      q_sorted.x AS a,
      CAST(NULL AS DOUBLE PRECISION) AS b
    FROM (
      SELECT
        x,
        ROW_NUMBER() OVER (ORDER BY x ASC NULLS FIRST) AS rn
      FROM p0_q_valid
    ) AS q_sorted
    JOIN p0_q_ranks
      ON q_sorted.rn = p0_q_ranks.r
  ) AS "part_0"
) AS parts;

-- 3. aggregates over main.training — the baseline table: computed once per run, reused for every window
SELECT
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
      )
      AND CAST("amount" AS DOUBLE PRECISION) < 6.333333333333333
      THEN 1
    END
  ) AS "bin_count__amount",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
      )
      AND CAST("amount" AS DOUBLE PRECISION) >= 6.333333333333333
      AND CAST("amount" AS DOUBLE PRECISION) < 13.0
      THEN 1
    END
  ) AS "bin_count__amount__1",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
      )
      AND CAST("amount" AS DOUBLE PRECISION) >= 13.0
      AND CAST("amount" AS DOUBLE PRECISION) < 21.0
      THEN 1
    END
  ) AS "bin_count__amount__2",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
      )
      AND CAST("amount" AS DOUBLE PRECISION) >= 21.0
      THEN 1
    END
  ) AS "bin_count__amount__3",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
      )
      THEN 1
    END
  ) AS "valid_count__amount",
  STDDEV_SAMP(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
        )
        AND NOT ABS("amount") = CAST('Infinity' AS DOUBLE PRECISION)
      )
      THEN CAST("amount" AS DOUBLE PRECISION)
    END
  ) AS "finite_stddev__amount"
FROM "main"."training" AS _rel;

-- 4. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00)
SELECT
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
      )
      AND CAST("amount" AS DOUBLE PRECISION) < 6.333333333333333
      THEN 1
    END
  ) AS "bin_count__amount",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
      )
      AND CAST("amount" AS DOUBLE PRECISION) >= 6.333333333333333
      AND CAST("amount" AS DOUBLE PRECISION) < 13.0
      THEN 1
    END
  ) AS "bin_count__amount__1",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
      )
      AND CAST("amount" AS DOUBLE PRECISION) >= 13.0
      AND CAST("amount" AS DOUBLE PRECISION) < 21.0
      THEN 1
    END
  ) AS "bin_count__amount__2",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
      )
      AND CAST("amount" AS DOUBLE PRECISION) >= 21.0
      THEN 1
    END
  ) AS "bin_count__amount__3",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
      )
      THEN 1
    END
  ) AS "valid_count__amount"
FROM (
  SELECT
    *
  FROM "main"."events"
  WHERE
    "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
    AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
) AS _rel;

-- 5. distributions: ks_wasserstein_binned
SELECT
  req,
  k,
  a,
  b
FROM (
  SELECT
    0 AS req,
    CAST(k AS VARCHAR(MAX)) AS k,
    CAST(a AS DOUBLE PRECISION) AS a,
    CAST(b AS DOUBLE PRECISION) AS b
  FROM (
    WITH p0_cells AS (
      SELECT
        cell,
        CAST(SUM(nb) AS DOUBLE PRECISION) AS nb,
        CAST(SUM(nc) AS DOUBLE PRECISION) AS nc,
        CAST(SUM(fb) AS DOUBLE PRECISION) AS fb,
        CAST(SUM(fc) AS DOUBLE PRECISION) AS fc,
        SUM(CASE WHEN nc > 0 THEN tail ELSE 0 END) AS tc
      FROM (
        SELECT
          CASE
            WHEN x < 0.0
            THEN 0
            WHEN x > 29.333333333333332
            THEN 17
            ELSE CAST(LEAST(16, 1 + FLOOR(CAST((
              x - 0.0
            ) AS DOUBLE PRECISION) / 1.8333333333333333)) AS BIGINT)
          END AS cell,
          COUNT(*) AS "nb",
          0 AS "nc",
          COUNT(CASE WHEN fin THEN 1 END) AS "fb",
          0 AS "fc",
          SUM(
            CASE
              WHEN fin AND x < 0.0
              THEN 0.0 - x
              WHEN fin AND x > 29.333333333333332
              THEN x - 29.333333333333332
              ELSE 0
            END
          ) AS tail
        FROM (
          SELECT
            CAST("amount" AS DOUBLE PRECISION) AS x,
            (
              (
                NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
              )
              AND NOT ABS("amount") = CAST('Infinity' AS DOUBLE PRECISION)
            ) AS fin
          FROM "main"."training" AS "b_rel"
          WHERE
            (
              NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
            )
        ) AS "b_x"
        GROUP BY
          1
        UNION ALL
        SELECT
          CASE
            WHEN x < 0.0
            THEN 0
            WHEN x > 29.333333333333332
            THEN 17
            ELSE CAST(LEAST(16, 1 + FLOOR(CAST((
              x - 0.0
            ) AS DOUBLE PRECISION) / 1.8333333333333333)) AS BIGINT)
          END AS cell,
          0 AS "nb",
          COUNT(*) AS "nc",
          0 AS "fb",
          COUNT(CASE WHEN fin THEN 1 END) AS "fc",
          SUM(
            CASE
              WHEN fin AND x < 0.0
              THEN 0.0 - x
              WHEN fin AND x > 29.333333333333332
              THEN x - 29.333333333333332
              ELSE 0
            END
          ) AS tail
        FROM (
          SELECT
            CAST("amount" AS DOUBLE PRECISION) AS x,
            (
              (
                NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
              )
              AND NOT ABS("amount") = CAST('Infinity' AS DOUBLE PRECISION)
            ) AS fin
          FROM (
            SELECT
              *
            FROM "main"."events"
            WHERE
              "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
              AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
          ) AS "c_rel"
          WHERE
            (
              NOT "amount" IS NULL AND NOT "amount" = CAST('NaN' AS DOUBLE PRECISION)
            )
        ) AS "c_x"
        GROUP BY
          1
      ) AS sides
      GROUP BY
        cell
    )
    SELECT
      'ks' AS k,
      MAX(ABS(cb - cc)) AS a,
      MAX(
        CASE
          WHEN 1.8333333333333333 = 0 AND cell = 1
          THEN ABS(cb - cc)
          ELSE GREATEST(cb - pc, cc - pb)
        END
      ) AS b
    FROM (
      SELECT
        cell,
        CAST(SUM(nb) OVER (ORDER BY cell ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE PRECISION) / NULLIF(SUM(nb) OVER (), 0) AS cb,
        CAST(SUM(nc) OVER (ORDER BY cell ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE PRECISION) / NULLIF(SUM(nc) OVER (), 0) AS cc,
        CAST(COALESCE(
          SUM(nb) OVER (ORDER BY cell ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
          0
        ) AS DOUBLE PRECISION) / NULLIF(SUM(nb) OVER (), 0) AS pb,
        CAST(COALESCE(
          SUM(nc) OVER (ORDER BY cell ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
          0
        ) AS DOUBLE PRECISION) / NULLIF(SUM(nc) OVER (), 0) AS pc
      FROM p0_cells
    ) AS ks_cdfs
    UNION ALL
    SELECT
      'wasserstein' AS k,
      CASE
        WHEN NOT MAX(gb) IS NULL AND NOT MAX(gc) IS NULL
        THEN SUM(exact_part + inner_width * GREATEST(0, pgb - gc, pgc - gb))
      END AS a,
      CASE
        WHEN NOT MAX(gb) IS NULL AND NOT MAX(gc) IS NULL
        THEN SUM(exact_part + inner_width * GREATEST(gb - pgc, gc - pgb))
      END AS b
    FROM (
      SELECT
        gb,
        gc,
        pgb,
        pgc,
        CASE WHEN cell BETWEEN 1 AND 16 THEN 1.8333333333333333 ELSE 0 END AS inner_width,
        COALESCE(CAST(tc AS DOUBLE PRECISION) / NULLIF(tfc, 0), 0) + 1.8333333333333333 * ABS(pgb - pgc) * GREATEST(0, LEAST(cell - 1, 16) - GREATEST(COALESCE(prev_cell, 0) + 1, 1) + 1) AS exact_part
      FROM (
        SELECT
          cell,
          tc,
          SUM(fc) OVER () AS tfc,
          LAG(cell) OVER (ORDER BY cell ASC NULLS FIRST) AS prev_cell,
          CAST(SUM(fb) OVER (ORDER BY cell ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE PRECISION) / NULLIF(SUM(fb) OVER (), 0) AS gb,
          CAST(SUM(fc) OVER (ORDER BY cell ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE PRECISION) / NULLIF(SUM(fc) OVER (), 0) AS gc,
          CAST(COALESCE(
            SUM(fb) OVER (ORDER BY cell ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
            0
          ) AS DOUBLE PRECISION) / NULLIF(SUM(fb) OVER (), 0) AS pgb,
          CAST(COALESCE(
            SUM(fc) OVER (ORDER BY cell ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
            0
          ) AS DOUBLE PRECISION) / NULLIF(SUM(fc) OVER (), 0) AS pgc
        FROM p0_cells
      ) AS w_cdfs
    ) AS w_parts
  ) AS "part_0"
) AS parts;
