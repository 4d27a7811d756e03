-- sqlmon compile: 1 monitor(s), dialect duckdb

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 2 statement(s)
-- monitors: custom_sql

-- 1. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00)
SELECT
  AVG(CAST("amount" AS DOUBLE)) AS "avg_amount",
  COUNT(*) FILTER(WHERE
    "flag") AS "flagged",
  STDDEV_SAMP("score") / NULLIF(AVG(CAST("score" AS DOUBLE)), 0) AS "spread"
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
    CAST("metric" AS TEXT) AS "metric",
    CAST("value" AS DOUBLE) AS "value"
  FROM (
    SELECT
      'flag_share_' || "country" AS "metric",
      AVG(CAST(CASE WHEN "flag" THEN CAST(1.0 AS DOUBLE) ELSE 0 END AS DOUBLE)) AS "value"
    FROM "main"."events"
    WHERE
      "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
      AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
    GROUP BY
      "country"
  ) AS custom_query
) AS requested_rows;
