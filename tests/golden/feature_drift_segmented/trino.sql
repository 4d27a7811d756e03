-- sqlmon compile: 1 monitor(s), dialect trino

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 13 statement(s)
-- monitors: feature_drift_segmented

-- 1. segments of main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00) by country: the 2 largest
SELECT
  "s0",
  n,
  segments
FROM (
  SELECT
    "s0",
    n,
    COUNT(*) OVER () AS segments,
    ROW_NUMBER() OVER (ORDER BY n DESC, "s0" ASC NULLS FIRST) AS rn
  FROM (
    SELECT
      "country" AS "s0",
      COUNT(*) AS n
    FROM (
      SELECT
        *
      FROM "main"."events"
      WHERE
        "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
        AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
    ) AS _rel
    GROUP BY
      "country"
  ) AS per_segment
) AS ranked
WHERE
  rn <= 2
ORDER BY
  rn;

-- 2. aggregates over main.training — the baseline table: computed once per run, reused for every window
SELECT
  COUNT(CASE WHEN (
    NOT "amount" IS NULL AND NOT IS_NAN("amount")
  ) THEN 1 END) AS "valid_count__amount",
  MIN(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND NOT IS_NAN("amount")
        ) AND NOT IS_INFINITE("amount")
      )
      THEN CAST("amount" AS DOUBLE)
    END
  ) AS "finite_min__amount",
  MAX(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND NOT IS_NAN("amount")
        ) AND NOT IS_INFINITE("amount")
      )
      THEN CAST("amount" AS DOUBLE)
    END
  ) AS "finite_max__amount"
FROM "main"."training" AS _rel;

-- 3. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00)
SELECT
  COUNT(*) AS "row_count"
FROM (
  SELECT
    *
  FROM "main"."events"
  WHERE
    "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
    AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
) AS _rel;

-- 4. aggregates over main.training — the baseline table: computed once per run, reused for every window, per segment of country (2 segments)
SELECT
  0 AS _empty,
  "country" AS "_segment_0",
  COUNT(CASE WHEN (
    NOT "amount" IS NULL AND NOT IS_NAN("amount")
  ) THEN 1 END) AS "valid_count__amount",
  MIN(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND NOT IS_NAN("amount")
        ) AND NOT IS_INFINITE("amount")
      )
      THEN CAST("amount" AS DOUBLE)
    END
  ) AS "finite_min__amount",
  MAX(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND NOT IS_NAN("amount")
        ) AND NOT IS_INFINITE("amount")
      )
      THEN CAST("amount" AS DOUBLE)
    END
  ) AS "finite_max__amount"
FROM (
  SELECT
    *
  FROM "main"."training" AS _all
  WHERE
    (
      "country" = 'FR'
    ) OR (
      "country" = 'US'
    )
) AS _rel
GROUP BY
  "country"
UNION ALL
SELECT
  1 AS _empty,
  NULL AS "_segment_0",
  COUNT(CASE WHEN (
    NOT "amount" IS NULL AND NOT IS_NAN("amount")
  ) THEN 1 END) AS "valid_count__amount",
  MIN(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND NOT IS_NAN("amount")
        ) AND NOT IS_INFINITE("amount")
      )
      THEN CAST("amount" AS DOUBLE)
    END
  ) AS "finite_min__amount",
  MAX(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND NOT IS_NAN("amount")
        ) AND NOT IS_INFINITE("amount")
      )
      THEN CAST("amount" AS DOUBLE)
    END
  ) AS "finite_max__amount"
FROM (
  SELECT
    *
  FROM "main"."training" AS _all
  WHERE
    1 = 0
) AS _rel;

-- 5. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00), per segment of country (2 segments)
SELECT
  0 AS _empty,
  "country" AS "_segment_0",
  COUNT(*) AS "row_count"
FROM (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM "main"."events"
    WHERE
      "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
      AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
  ) AS _all
  WHERE
    (
      "country" = 'FR'
    ) OR (
      "country" = 'US'
    )
) AS _rel
GROUP BY
  "country"
UNION ALL
SELECT
  1 AS _empty,
  NULL AS "_segment_0",
  COUNT(*) AS "row_count"
FROM (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM "main"."events"
    WHERE
      "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
      AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
  ) AS _all
  WHERE
    1 = 0
) AS _rel;

-- 6. distributions: quantiles
SELECT
  req,
  k,
  a,
  b
FROM (
  SELECT
    0 AS req,
    CAST(k AS VARCHAR) AS k,
    CAST(a AS DOUBLE) AS a,
    CAST(b AS DOUBLE) AS b
  FROM (
    WITH p0_q_valid AS (
      SELECT
        CAST("amount" AS DOUBLE) AS x
      FROM "main"."training" AS q_rel
      WHERE
        (
          NOT "amount" IS NULL AND NOT IS_NAN("amount")
        )
    ), p0_q_ranks AS (
      SELECT
        q_k.k,
        CEIL(CAST(q_n.n AS DOUBLE) * (
          CAST(q_k.k AS DOUBLE) / CAST(4 AS DOUBLE)
        )) AS r
      FROM (
        SELECT
          COUNT(*) AS n
        FROM p0_q_valid
      ) AS q_n
      CROSS JOIN (VALUES
        (1),
        (2),
        (3)) AS q_k(k)
    )
    SELECT
      CAST(p0_q_ranks.k AS VARCHAR) AS k,
      q_sorted.x AS a,
      CAST(NULL AS DOUBLE) AS b
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

-- 7. distributions: quantiles
SELECT
  req,
  k,
  a,
  b
FROM (
  SELECT
    0 AS req,
    CAST(k AS VARCHAR) AS k,
    CAST(a AS DOUBLE) AS a,
    CAST(b AS DOUBLE) AS b
  FROM (
    WITH p0_q_valid AS (
      SELECT
        CAST("amount" AS DOUBLE) AS x
      FROM (
        SELECT
          *
        FROM "main"."training"
        WHERE
          (
            "country" = 'FR'
          )
      ) AS q_rel
      WHERE
        (
          NOT "amount" IS NULL AND NOT IS_NAN("amount")
        )
    ), p0_q_ranks AS (
      SELECT
        q_k.k,
        CEIL(CAST(q_n.n AS DOUBLE) * (
          CAST(q_k.k AS DOUBLE) / CAST(4 AS DOUBLE)
        )) AS r
      FROM (
        SELECT
          COUNT(*) AS n
        FROM p0_q_valid
      ) AS q_n
      CROSS JOIN (VALUES
        (1),
        (2),
        (3)) AS q_k(k)
    )
    SELECT
      CAST(p0_q_ranks.k AS VARCHAR) AS k,
      q_sorted.x AS a,
      CAST(NULL AS DOUBLE) AS b
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

-- 8. distributions: quantiles
SELECT
  req,
  k,
  a,
  b
FROM (
  SELECT
    0 AS req,
    CAST(k AS VARCHAR) AS k,
    CAST(a AS DOUBLE) AS a,
    CAST(b AS DOUBLE) AS b
  FROM (
    WITH p0_q_valid AS (
      SELECT
        CAST("amount" AS DOUBLE) AS x
      FROM (
        SELECT
          *
        FROM "main"."training"
        WHERE
          (
            "country" = 'US'
          )
      ) AS q_rel
      WHERE
        (
          NOT "amount" IS NULL AND NOT IS_NAN("amount")
        )
    ), p0_q_ranks AS (
      SELECT
        q_k.k,
        CEIL(CAST(q_n.n AS DOUBLE) * (
          CAST(q_k.k AS DOUBLE) / CAST(4 AS DOUBLE)
        )) AS r
      FROM (
        SELECT
          COUNT(*) AS n
        FROM p0_q_valid
      ) AS q_n
      CROSS JOIN (VALUES
        (1),
        (2),
        (3)) AS q_k(k)
    )
    SELECT
      CAST(p0_q_ranks.k AS VARCHAR) AS k,
      q_sorted.x AS a,
      CAST(NULL AS DOUBLE) AS b
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

-- 9. aggregates over main.training — the baseline table: computed once per run, reused for every window
SELECT
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) < 6.333333333333333
      THEN 1
    END
  ) AS "bin_count__amount",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 6.333333333333333
      AND CAST("amount" AS DOUBLE) < 13.0
      THEN 1
    END
  ) AS "bin_count__amount__1",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 13.0
      AND CAST("amount" AS DOUBLE) < 21.0
      THEN 1
    END
  ) AS "bin_count__amount__2",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 21.0
      THEN 1
    END
  ) AS "bin_count__amount__3",
  STDDEV_SAMP(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND NOT IS_NAN("amount")
        ) AND NOT IS_INFINITE("amount")
      )
      THEN CAST("amount" AS DOUBLE)
    END
  ) AS "finite_stddev__amount"
FROM "main"."training" AS _rel;

-- 10. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00)
SELECT
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) < 6.333333333333333
      THEN 1
    END
  ) AS "bin_count__amount",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 6.333333333333333
      AND CAST("amount" AS DOUBLE) < 13.0
      THEN 1
    END
  ) AS "bin_count__amount__1",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 13.0
      AND CAST("amount" AS DOUBLE) < 21.0
      THEN 1
    END
  ) AS "bin_count__amount__2",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 21.0
      THEN 1
    END
  ) AS "bin_count__amount__3",
  COUNT(CASE WHEN (
    NOT "amount" IS NULL AND NOT IS_NAN("amount")
  ) THEN 1 END) AS "valid_count__amount"
FROM (
  SELECT
    *
  FROM "main"."events"
  WHERE
    "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
    AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
) AS _rel;

-- 11. aggregates over main.training — the baseline table: computed once per run, reused for every window, per segment of country (2 segments)
SELECT
  0 AS _empty,
  "country" AS "_segment_0",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) < 6.333333333333333
      THEN 1
    END
  ) AS "bin_count__amount",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 6.333333333333333
      AND CAST("amount" AS DOUBLE) < 13.0
      THEN 1
    END
  ) AS "bin_count__amount__1",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 13.0
      AND CAST("amount" AS DOUBLE) < 21.0
      THEN 1
    END
  ) AS "bin_count__amount__2",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 21.0
      THEN 1
    END
  ) AS "bin_count__amount__3",
  STDDEV_SAMP(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND NOT IS_NAN("amount")
        ) AND NOT IS_INFINITE("amount")
      )
      THEN CAST("amount" AS DOUBLE)
    END
  ) AS "finite_stddev__amount",
  COUNT(CASE WHEN (
    NOT "amount" IS NULL AND NOT IS_NAN("amount")
  ) THEN 1 END) AS "bin_count__amount__4"
FROM (
  SELECT
    *
  FROM "main"."training" AS _all
  WHERE
    (
      "country" = 'FR'
    ) OR (
      "country" = 'US'
    )
) AS _rel
GROUP BY
  "country"
UNION ALL
SELECT
  1 AS _empty,
  NULL AS "_segment_0",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) < 6.333333333333333
      THEN 1
    END
  ) AS "bin_count__amount",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 6.333333333333333
      AND CAST("amount" AS DOUBLE) < 13.0
      THEN 1
    END
  ) AS "bin_count__amount__1",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 13.0
      AND CAST("amount" AS DOUBLE) < 21.0
      THEN 1
    END
  ) AS "bin_count__amount__2",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 21.0
      THEN 1
    END
  ) AS "bin_count__amount__3",
  STDDEV_SAMP(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND NOT IS_NAN("amount")
        ) AND NOT IS_INFINITE("amount")
      )
      THEN CAST("amount" AS DOUBLE)
    END
  ) AS "finite_stddev__amount",
  COUNT(CASE WHEN (
    NOT "amount" IS NULL AND NOT IS_NAN("amount")
  ) THEN 1 END) AS "bin_count__amount__4"
FROM (
  SELECT
    *
  FROM "main"."training" AS _all
  WHERE
    1 = 0
) AS _rel;

-- 12. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00), per segment of country (2 segments)
SELECT
  0 AS _empty,
  "country" AS "_segment_0",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) < 6.333333333333333
      THEN 1
    END
  ) AS "bin_count__amount",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 6.333333333333333
      AND CAST("amount" AS DOUBLE) < 13.0
      THEN 1
    END
  ) AS "bin_count__amount__1",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 13.0
      AND CAST("amount" AS DOUBLE) < 21.0
      THEN 1
    END
  ) AS "bin_count__amount__2",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 21.0
      THEN 1
    END
  ) AS "bin_count__amount__3",
  COUNT(CASE WHEN (
    NOT "amount" IS NULL AND NOT IS_NAN("amount")
  ) THEN 1 END) AS "valid_count__amount"
FROM (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM "main"."events"
    WHERE
      "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
      AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
  ) AS _all
  WHERE
    (
      "country" = 'FR'
    ) OR (
      "country" = 'US'
    )
) AS _rel
GROUP BY
  "country"
UNION ALL
SELECT
  1 AS _empty,
  NULL AS "_segment_0",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) < 6.333333333333333
      THEN 1
    END
  ) AS "bin_count__amount",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 6.333333333333333
      AND CAST("amount" AS DOUBLE) < 13.0
      THEN 1
    END
  ) AS "bin_count__amount__1",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 13.0
      AND CAST("amount" AS DOUBLE) < 21.0
      THEN 1
    END
  ) AS "bin_count__amount__2",
  COUNT(
    CASE
      WHEN (
        NOT "amount" IS NULL AND NOT IS_NAN("amount")
      )
      AND CAST("amount" AS DOUBLE) >= 21.0
      THEN 1
    END
  ) AS "bin_count__amount__3",
  COUNT(CASE WHEN (
    NOT "amount" IS NULL AND NOT IS_NAN("amount")
  ) THEN 1 END) AS "valid_count__amount"
FROM (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM "main"."events"
    WHERE
      "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
      AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
  ) AS _all
  WHERE
    1 = 0
) AS _rel;

-- 13. distributions: ks_wasserstein, category_counts
SELECT
  req,
  k,
  a,
  b
FROM (
  SELECT
    0 AS req,
    CAST(k AS VARCHAR) AS k,
    CAST(a AS DOUBLE) AS a,
    CAST(b AS DOUBLE) AS b
  FROM (
    SELECT
      CAST(NULL AS VARCHAR) AS k,
      MAX(ABS(fb - fc)) AS a,
      CASE
        WHEN NOT MAX(gb) IS NULL AND NOT MAX(gc) IS NULL
        THEN SUM(
          CASE
            WHEN IS_INFINITE(x) OR dx IS NULL OR IS_INFINITE(dx)
            THEN 0
            ELSE ABS(gb - gc) * dx
          END
        )
      END AS b
    FROM (
      SELECT
        x,
        CAST(SUM(nb) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(SUM(nb) OVER (), 0) AS fb,
        CAST(SUM(nc) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(SUM(nc) OVER (), 0) AS fc,
        CAST(SUM(fin_b) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(SUM(fin_b) OVER (), 0) AS gb,
        CAST(SUM(fin_c) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(SUM(fin_c) OVER (), 0) AS gc,
        LEAD(x) OVER (ORDER BY x ASC NULLS FIRST) - x AS dx
      FROM (
        SELECT
          x,
          CAST(SUM(nb) AS DOUBLE) AS nb,
          CAST(SUM(nc) AS DOUBLE) AS nc,
          CAST(SUM(CASE WHEN IS_INFINITE(x) THEN 0 ELSE nb END) AS DOUBLE) AS fin_b,
          CAST(SUM(CASE WHEN IS_INFINITE(x) THEN 0 ELSE nc END) AS DOUBLE) AS fin_c
        FROM (
          SELECT
            CAST("amount" AS DOUBLE) AS x,
            COUNT(*) AS nb,
            0 AS nc
          FROM "main"."training" AS b_rel
          WHERE
            (
              NOT "amount" IS NULL AND NOT IS_NAN("amount")
            )
          GROUP BY
            1
          UNION ALL
          SELECT
            CAST("amount" AS DOUBLE) AS x,
            0 AS nb,
            COUNT(*) AS nc
          FROM (
            SELECT
              *
            FROM "main"."events"
            WHERE
              "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
              AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
          ) AS c_rel
          WHERE
            (
              NOT "amount" IS NULL AND NOT IS_NAN("amount")
            )
          GROUP BY
            1
        ) AS sides
        GROUP BY
          x
      ) AS per_value
    ) AS cdfs
  ) AS "part_0"
  UNION ALL
  SELECT
    1 AS req,
    CAST(k AS VARCHAR) AS k,
    CAST(a AS DOUBLE) AS a,
    CAST(b AS DOUBLE) AS b
  FROM (
    SELECT
      CASE WHEN rn <= 200 THEN k END AS k,
      SUM(nb) AS a,
      SUM(nc) AS b
    FROM (
      SELECT
        k,
        nb,
        nc,
        ROW_NUMBER() OVER (
          ORDER BY GREATEST(
            COALESCE(CAST(nb AS DOUBLE) / NULLIF(tb, 0), 0),
            COALESCE(CAST(nc AS DOUBLE) / NULLIF(tc, 0), 0)
          ) DESC, k ASC NULLS FIRST
        ) AS rn
      FROM (
        SELECT
          k,
          nb,
          nc,
          SUM(nb) OVER () AS tb,
          SUM(nc) OVER () AS tc
        FROM (
          SELECT
            COALESCE(base.k, cur.k) AS k,
            CAST(COALESCE(base.n, 0) AS DOUBLE) AS nb,
            CAST(COALESCE(cur.n, 0) AS DOUBLE) AS nc
          FROM (
            SELECT
              CAST("country" AS VARCHAR) AS k,
              COUNT(*) AS n
            FROM "main"."training" AS b_rel
            WHERE
              NOT "country" IS NULL
            GROUP BY
              1
          ) AS base
          FULL OUTER JOIN (
            SELECT
              CAST("country" AS VARCHAR) AS k,
              COUNT(*) AS n
            FROM (
              SELECT
                *
              FROM "main"."events"
              WHERE
                "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
                AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
            ) AS c_rel
            WHERE
              NOT "country" IS NULL
            GROUP BY
              1
          ) AS cur
            ON base.k = cur.k
        ) AS joined
      ) AS totals
    ) AS ranked
    GROUP BY
      1
  ) AS "part_1"
  UNION ALL
  SELECT
    2 AS req,
    CAST(k AS VARCHAR) AS k,
    CAST(a AS DOUBLE) AS a,
    CAST(b AS DOUBLE) AS b
  FROM (
    SELECT
      CAST(NULL AS VARCHAR) AS k,
      MAX(ABS(fb - fc)) AS a,
      CASE
        WHEN NOT MAX(gb) IS NULL AND NOT MAX(gc) IS NULL
        THEN SUM(
          CASE
            WHEN IS_INFINITE(x) OR dx IS NULL OR IS_INFINITE(dx)
            THEN 0
            ELSE ABS(gb - gc) * dx
          END
        )
      END AS b
    FROM (
      SELECT
        x,
        CAST(SUM(nb) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(SUM(nb) OVER (), 0) AS fb,
        CAST(SUM(nc) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(SUM(nc) OVER (), 0) AS fc,
        CAST(SUM(fin_b) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(SUM(fin_b) OVER (), 0) AS gb,
        CAST(SUM(fin_c) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(SUM(fin_c) OVER (), 0) AS gc,
        LEAD(x) OVER (ORDER BY x ASC NULLS FIRST) - x AS dx
      FROM (
        SELECT
          x,
          CAST(SUM(nb) AS DOUBLE) AS nb,
          CAST(SUM(nc) AS DOUBLE) AS nc,
          CAST(SUM(CASE WHEN IS_INFINITE(x) THEN 0 ELSE nb END) AS DOUBLE) AS fin_b,
          CAST(SUM(CASE WHEN IS_INFINITE(x) THEN 0 ELSE nc END) AS DOUBLE) AS fin_c
        FROM (
          SELECT
            CAST("amount" AS DOUBLE) AS x,
            COUNT(*) AS nb,
            0 AS nc
          FROM (
            SELECT
              *
            FROM "main"."training"
            WHERE
              (
                "country" = 'FR'
              )
          ) AS b_rel
          WHERE
            (
              NOT "amount" IS NULL AND NOT IS_NAN("amount")
            )
          GROUP BY
            1
          UNION ALL
          SELECT
            CAST("amount" AS DOUBLE) AS x,
            0 AS nb,
            COUNT(*) AS nc
          FROM (
            SELECT
              *
            FROM "main"."events"
            WHERE
              "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
              AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
              AND (
                "country" = 'FR'
              )
          ) AS c_rel
          WHERE
            (
              NOT "amount" IS NULL AND NOT IS_NAN("amount")
            )
          GROUP BY
            1
        ) AS sides
        GROUP BY
          x
      ) AS per_value
    ) AS cdfs
  ) AS "part_2"
  UNION ALL
  SELECT
    3 AS req,
    CAST(k AS VARCHAR) AS k,
    CAST(a AS DOUBLE) AS a,
    CAST(b AS DOUBLE) AS b
  FROM (
    SELECT
      CASE WHEN rn <= 200 THEN k END AS k,
      SUM(nb) AS a,
      SUM(nc) AS b
    FROM (
      SELECT
        k,
        nb,
        nc,
        ROW_NUMBER() OVER (
          ORDER BY GREATEST(
            COALESCE(CAST(nb AS DOUBLE) / NULLIF(tb, 0), 0),
            COALESCE(CAST(nc AS DOUBLE) / NULLIF(tc, 0), 0)
          ) DESC, k ASC NULLS FIRST
        ) AS rn
      FROM (
        SELECT
          k,
          nb,
          nc,
          SUM(nb) OVER () AS tb,
          SUM(nc) OVER () AS tc
        FROM (
          SELECT
            COALESCE(base.k, cur.k) AS k,
            CAST(COALESCE(base.n, 0) AS DOUBLE) AS nb,
            CAST(COALESCE(cur.n, 0) AS DOUBLE) AS nc
          FROM (
            SELECT
              CAST("country" AS VARCHAR) AS k,
              COUNT(*) AS n
            FROM (
              SELECT
                *
              FROM "main"."training"
              WHERE
                (
                  "country" = 'FR'
                )
            ) AS b_rel
            WHERE
              NOT "country" IS NULL
            GROUP BY
              1
          ) AS base
          FULL OUTER JOIN (
            SELECT
              CAST("country" AS VARCHAR) AS k,
              COUNT(*) AS n
            FROM (
              SELECT
                *
              FROM "main"."events"
              WHERE
                "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
                AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
                AND (
                  "country" = 'FR'
                )
            ) AS c_rel
            WHERE
              NOT "country" IS NULL
            GROUP BY
              1
          ) AS cur
            ON base.k = cur.k
        ) AS joined
      ) AS totals
    ) AS ranked
    GROUP BY
      1
  ) AS "part_3"
  UNION ALL
  SELECT
    4 AS req,
    CAST(k AS VARCHAR) AS k,
    CAST(a AS DOUBLE) AS a,
    CAST(b AS DOUBLE) AS b
  FROM (
    SELECT
      CAST(NULL AS VARCHAR) AS k,
      MAX(ABS(fb - fc)) AS a,
      CASE
        WHEN NOT MAX(gb) IS NULL AND NOT MAX(gc) IS NULL
        THEN SUM(
          CASE
            WHEN IS_INFINITE(x) OR dx IS NULL OR IS_INFINITE(dx)
            THEN 0
            ELSE ABS(gb - gc) * dx
          END
        )
      END AS b
    FROM (
      SELECT
        x,
        CAST(SUM(nb) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(SUM(nb) OVER (), 0) AS fb,
        CAST(SUM(nc) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(SUM(nc) OVER (), 0) AS fc,
        CAST(SUM(fin_b) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(SUM(fin_b) OVER (), 0) AS gb,
        CAST(SUM(fin_c) OVER (ORDER BY x ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(SUM(fin_c) OVER (), 0) AS gc,
        LEAD(x) OVER (ORDER BY x ASC NULLS FIRST) - x AS dx
      FROM (
        SELECT
          x,
          CAST(SUM(nb) AS DOUBLE) AS nb,
          CAST(SUM(nc) AS DOUBLE) AS nc,
          CAST(SUM(CASE WHEN IS_INFINITE(x) THEN 0 ELSE nb END) AS DOUBLE) AS fin_b,
          CAST(SUM(CASE WHEN IS_INFINITE(x) THEN 0 ELSE nc END) AS DOUBLE) AS fin_c
        FROM (
          SELECT
            CAST("amount" AS DOUBLE) AS x,
            COUNT(*) AS nb,
            0 AS nc
          FROM (
            SELECT
              *
            FROM "main"."training"
            WHERE
              (
                "country" = 'US'
              )
          ) AS b_rel
          WHERE
            (
              NOT "amount" IS NULL AND NOT IS_NAN("amount")
            )
          GROUP BY
            1
          UNION ALL
          SELECT
            CAST("amount" AS DOUBLE) AS x,
            0 AS nb,
            COUNT(*) AS nc
          FROM (
            SELECT
              *
            FROM "main"."events"
            WHERE
              "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
              AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
              AND (
                "country" = 'US'
              )
          ) AS c_rel
          WHERE
            (
              NOT "amount" IS NULL AND NOT IS_NAN("amount")
            )
          GROUP BY
            1
        ) AS sides
        GROUP BY
          x
      ) AS per_value
    ) AS cdfs
  ) AS "part_4"
  UNION ALL
  SELECT
    5 AS req,
    CAST(k AS VARCHAR) AS k,
    CAST(a AS DOUBLE) AS a,
    CAST(b AS DOUBLE) AS b
  FROM (
    SELECT
      CASE WHEN rn <= 200 THEN k END AS k,
      SUM(nb) AS a,
      SUM(nc) AS b
    FROM (
      SELECT
        k,
        nb,
        nc,
        ROW_NUMBER() OVER (
          ORDER BY GREATEST(
            COALESCE(CAST(nb AS DOUBLE) / NULLIF(tb, 0), 0),
            COALESCE(CAST(nc AS DOUBLE) / NULLIF(tc, 0), 0)
          ) DESC, k ASC NULLS FIRST
        ) AS rn
      FROM (
        SELECT
          k,
          nb,
          nc,
          SUM(nb) OVER () AS tb,
          SUM(nc) OVER () AS tc
        FROM (
          SELECT
            COALESCE(base.k, cur.k) AS k,
            CAST(COALESCE(base.n, 0) AS DOUBLE) AS nb,
            CAST(COALESCE(cur.n, 0) AS DOUBLE) AS nc
          FROM (
            SELECT
              CAST("country" AS VARCHAR) AS k,
              COUNT(*) AS n
            FROM (
              SELECT
                *
              FROM "main"."training"
              WHERE
                (
                  "country" = 'US'
                )
            ) AS b_rel
            WHERE
              NOT "country" IS NULL
            GROUP BY
              1
          ) AS base
          FULL OUTER JOIN (
            SELECT
              CAST("country" AS VARCHAR) AS k,
              COUNT(*) AS n
            FROM (
              SELECT
                *
              FROM "main"."events"
              WHERE
                "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
                AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
                AND (
                  "country" = 'US'
                )
            ) AS c_rel
            WHERE
              NOT "country" IS NULL
            GROUP BY
              1
          ) AS cur
            ON base.k = cur.k
        ) AS joined
      ) AS totals
    ) AS ranked
    GROUP BY
      1
  ) AS "part_5"
) AS parts;
