-- sqlmon compile: 1 monitor(s), dialect snowflake

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 2 statement(s)
-- monitors: freshness

-- 1. aggregates over main.events — the newest row before the window's end, over the whole table
SELECT
  MAX(CASE WHEN "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMPNTZ) THEN "ts" END) AS "newest__ts"
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
    CAST(k AS VARCHAR) AS k,
    CAST(a AS DOUBLE) AS a,
    CAST(b AS DOUBLE) AS b
  FROM (
    SELECT
      CAST(NULL AS VARCHAR) AS k,
      gap AS a,
      previous AS b
    FROM (
      SELECT
        DATE_PART(epoch_microsecond, CAST("ts" AS TIMESTAMPNTZ)) / 1000000.0 - LAG(DATE_PART(epoch_microsecond, CAST("ts" AS TIMESTAMPNTZ)) / 1000000.0) OVER (ORDER BY "ts" NULLS FIRST) AS gap,
        LAG(DATE_PART(epoch_microsecond, CAST("ts" AS TIMESTAMPNTZ)) / 1000000.0) OVER (ORDER BY "ts" NULLS FIRST) AS previous
      FROM (
        SELECT
          *
        FROM "main"."events"
        WHERE
          "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMPNTZ)
          AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMPNTZ)
      ) AS "p0_rows"
      WHERE
        NOT "ts" IS NULL
    ) AS "p0_gaps"
    WHERE
      NOT gap IS NULL
    ORDER BY
      gap DESC NULLS LAST,
      previous NULLS FIRST
    LIMIT 1
  ) AS "part_0"
) AS parts;
