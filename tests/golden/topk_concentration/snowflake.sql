-- sqlmon compile: 1 monitor(s), dialect snowflake

-- source events_rolling (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 1 statement(s)
-- monitors: topk_concentration

-- 1. distributions: concentration
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
    WITH p0_cur AS (
      SELECT
        "item" AS v,
        SUM(CAST("weight" AS DOUBLE)) AS n
      FROM (
        SELECT
          *
        FROM "main"."events"
        WHERE
          "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMPNTZ)
          AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMPNTZ)
      ) AS c_rel
      WHERE
        NOT "item" IS NULL
      GROUP BY
        1
    ), p0_ranked AS (
      SELECT
        n,
        ROW_NUMBER() OVER (ORDER BY n DESC NULLS LAST) AS r_desc,
        ROW_NUMBER() OVER (ORDER BY n ASC NULLS FIRST) AS r_asc,
        SUM(n) OVER () AS total,
        CAST(COUNT(*) OVER () AS DOUBLE) AS d
      FROM p0_cur
      WHERE
        n > 0
    ), p0_stats AS (
      SELECT
        SUM(CASE WHEN r_desc <= 3 THEN n ELSE 0 END) / MAX(total) AS top_k_share,
        SUM((
          n / total
        ) * (
          n / total
        )) AS hhi,
        CASE
          WHEN MAX(d) IS NULL
          THEN NULL
          WHEN MAX(d) > 1
          THEN -SUM(CASE WHEN n / total > 0 THEN (
            n / total
          ) * LN(n / total) ELSE 0 END) / LN(MAX(d))
          ELSE 0
        END AS entropy_norm,
        CASE
          WHEN MAX(d) IS NULL
          THEN NULL
          WHEN MAX(d) > 1
          THEN 2 * SUM(r_asc * n) / (
            MAX(d) * MAX(total)
          ) - (
            MAX(d) + 1
          ) / MAX(d)
          ELSE 0
        END AS gini,
        CAST(COUNT(*) AS DOUBLE) AS distinct_count
      FROM p0_ranked
    ), p0_base AS (
      SELECT
        v,
        n / SUM(n) OVER () AS share
      FROM (
        SELECT
          "item" AS v,
          SUM(CAST("weight" AS DOUBLE)) AS n
        FROM (
          SELECT
            *
          FROM "main"."events"
          WHERE
            "ts" >= CAST('2026-10-01 00:00:00' AS TIMESTAMPNTZ)
            AND "ts" < CAST('2026-10-03 00:00:00' AS TIMESTAMPNTZ)
        ) AS b_rel
        WHERE
          NOT "item" IS NULL
        GROUP BY
          1
      ) AS base_counts
      WHERE
        n > 0
    ), p0_dropped AS (
      SELECT
        p0_base.v,
        p0_base.share
      FROM p0_base
      LEFT JOIN p0_cur
        ON p0_base.v = p0_cur.v
      WHERE
        p0_base.share >= 0.0001 AND (
          p0_cur.v IS NULL OR p0_cur.n <= 0
        )
    )
    SELECT
      'top_k_share' AS k,
      top_k_share AS a,
      CAST(NULL AS DOUBLE) AS b
    FROM p0_stats
    UNION ALL
    SELECT
      'hhi',
      hhi,
      NULL
    FROM p0_stats
    UNION ALL
    SELECT
      'entropy_norm',
      entropy_norm,
      NULL
    FROM p0_stats
    UNION ALL
    SELECT
      'gini',
      gini,
      NULL
    FROM p0_stats
    UNION ALL
    SELECT
      'distinct_count',
      distinct_count,
      NULL
    FROM p0_stats
    UNION ALL
    SELECT
      'dropped_values',
      CASE
        WHEN distinct_count > 0 AND EXISTS(
          SELECT
            1
          FROM p0_base
        )
        THEN (
          SELECT
            CAST(COUNT(*) AS DOUBLE)
          FROM p0_dropped
        )
      END,
      NULL
    FROM p0_stats
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        CAST(v AS VARCHAR),
        share,
        1
      FROM p0_dropped
      WHERE
        EXISTS(
          SELECT
            1
          FROM p0_ranked
        )
      ORDER BY
        share DESC NULLS LAST,
        CAST(v AS VARCHAR)
      LIMIT 10
    ) AS dropped_names
  ) AS "part_0"
) AS parts;
