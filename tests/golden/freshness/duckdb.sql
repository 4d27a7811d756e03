-- sqlmon compile: 1 monitor(s), dialect duckdb

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 2 statement(s)
-- monitors: freshness

-- 1. aggregates over main.events — the newest row before the window's end, over the whole table
SELECT
  MAX(CASE WHEN "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP) THEN "ts" END) AS "newest__ts"
FROM "main"."events" AS _rel;

-- 2. distributions: max_gap
SELECT
  req,
  k,
  a,
  b
FROM (
  SELECT
    0 AS req,
    CAST(k AS TEXT) AS k,
    CAST(a AS DOUBLE) AS a,
    CAST(b AS DOUBLE) AS b
  FROM (
    SELECT
      CAST(NULL AS TEXT) AS k,
      gap AS a,
      previous AS b
    FROM (
      SELECT
        EPOCH(CAST("ts" AS TIMESTAMP)) - LAG(EPOCH(CAST("ts" AS TIMESTAMP))) OVER (ORDER BY "ts" NULLS FIRST) AS gap,
        LAG(EPOCH(CAST("ts" AS TIMESTAMP))) OVER (ORDER BY "ts" NULLS FIRST) AS previous
      FROM (
        SELECT
          *
        FROM "main"."events"
        WHERE
          "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
          AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
      ) AS "p0_rows"
      WHERE
        NOT "ts" IS NULL
    ) AS "p0_gaps"
    WHERE
      NOT gap IS NULL
    ORDER BY
      gap DESC,
      previous NULLS FIRST
    LIMIT 1
  ) AS "part_0"
) AS parts;
