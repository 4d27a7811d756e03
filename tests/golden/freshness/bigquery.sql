-- sqlmon compile: 1 monitor(s), dialect bigquery

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 2 statement(s)
-- monitors: freshness

-- 1. aggregates over main.events — the newest row before the window's end, over the whole table
SELECT
  MAX(CASE WHEN `ts` < CAST('2026-10-04 00:00:00' AS DATETIME) THEN `ts` END) AS `newest__ts`
FROM `main`.`events` AS _rel;

-- 2. distributions: max_gap
SELECT
  req,
  k,
  a,
  b
FROM (
  SELECT
    0 AS req,
    CAST(k AS STRING) AS k,
    CAST(a AS FLOAT64) AS a,
    CAST(b AS FLOAT64) AS b
  FROM (
    SELECT
      CAST(NULL AS STRING) AS k,
      gap AS a,
      previous AS b
    FROM (
      SELECT
        UNIX_MICROS(CAST(CAST(`ts` AS DATETIME) AS TIMESTAMP)) / 1000000.0 - LAG(UNIX_MICROS(CAST(CAST(`ts` AS DATETIME) AS TIMESTAMP)) / 1000000.0) OVER (ORDER BY `ts`) AS gap,
        LAG(UNIX_MICROS(CAST(CAST(`ts` AS DATETIME) AS TIMESTAMP)) / 1000000.0) OVER (ORDER BY `ts`) AS previous
      FROM (
        SELECT
          *
        FROM `main`.`events`
        WHERE
          `ts` >= CAST('2026-10-03 00:00:00' AS DATETIME)
          AND `ts` < CAST('2026-10-04 00:00:00' AS DATETIME)
      ) AS `p0_rows`
      WHERE
        NOT `ts` IS NULL
    ) AS `p0_gaps`
    WHERE
      NOT gap IS NULL
    ORDER BY
      gap DESC,
      previous
    LIMIT 1
  ) AS `part_0`
) AS parts;
