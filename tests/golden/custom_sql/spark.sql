-- sqlmon compile: 1 monitor(s), dialect spark

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 1 statement(s)
-- monitors: custom_sql

-- 1. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00)
SELECT
  AVG(CAST(`amount` AS DOUBLE)) AS `avg_amount`,
  COUNT(*) FILTER(WHERE
    `flag`) AS `flagged`,
  STDDEV_SAMP(`score`) / NULLIF(AVG(CAST(`score` AS DOUBLE)), 0) AS `spread`
FROM (
  SELECT
    *
  FROM `main`.`events`
  WHERE
    `ts` >= CAST('2026-10-03 00:00:00' AS TIMESTAMP_NTZ)
    AND `ts` < CAST('2026-10-04 00:00:00' AS TIMESTAMP_NTZ)
) AS _rel;
