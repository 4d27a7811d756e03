-- sqlmon compile: 1 monitor(s), dialect trino

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 2 statement(s)
-- monitors: custom_sql

-- 1. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00)
SELECT
  AVG(CAST("amount" AS DOUBLE)) AS "avg_amount",
  COUNT(*) FILTER(WHERE
    "flag") AS "flagged",
  CAST(STDDEV_SAMP("score") AS DOUBLE) / NULLIF(AVG(CAST("score" AS DOUBLE)), 0) AS "spread"
FROM (
  SELECT
    *
  FROM "main"."events"
  WHERE
    "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
    AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
) AS _rel;

-- 2. the custom query
SELECT
  *
FROM (
  SELECT
    CAST("metric" AS VARCHAR) AS "metric",
    CAST("value" AS DOUBLE) AS "value"
  FROM (
    SELECT
      CONCAT(CAST('flag_share_' AS VARCHAR), CAST("country" AS VARCHAR)) AS "metric",
      AVG(CAST(CASE WHEN "flag" THEN CAST(1.0 AS DOUBLE) ELSE 0 END AS DOUBLE)) AS "value"
    FROM "main"."events"
    WHERE
      "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
      AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
    GROUP BY
      "country"
  ) AS custom_query
) AS requested_rows;
