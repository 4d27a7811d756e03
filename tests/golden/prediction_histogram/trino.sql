-- sqlmon compile: 1 monitor(s), dialect trino

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 2 statement(s)
-- monitors: prediction_histogram

-- 1. aggregates over main.training — the baseline table: computed once per run, reused for every window
SELECT
  COUNT(
    CASE
      WHEN (
        NOT "score" IS NULL AND NOT IS_NAN("score")
      )
      AND CAST("score" AS DOUBLE) < 0.25
      THEN 1
    END
  ) AS "bin_count__score",
  COUNT(
    CASE
      WHEN (
        NOT "score" IS NULL AND NOT IS_NAN("score")
      )
      AND CAST("score" AS DOUBLE) >= 0.25
      AND CAST("score" AS DOUBLE) < 0.5
      THEN 1
    END
  ) AS "bin_count__score__1",
  COUNT(
    CASE
      WHEN (
        NOT "score" IS NULL AND NOT IS_NAN("score")
      )
      AND CAST("score" AS DOUBLE) >= 0.5
      AND CAST("score" AS DOUBLE) < 0.75
      THEN 1
    END
  ) AS "bin_count__score__2",
  COUNT(
    CASE
      WHEN (
        NOT "score" IS NULL AND NOT IS_NAN("score")
      )
      AND CAST("score" AS DOUBLE) >= 0.75
      THEN 1
    END
  ) AS "bin_count__score__3"
FROM "main"."training" AS _rel;

-- 2. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00)
SELECT
  COUNT(
    CASE
      WHEN (
        NOT "score" IS NULL AND NOT IS_NAN("score")
      )
      AND CAST("score" AS DOUBLE) < 0.25
      THEN 1
    END
  ) AS "bin_count__score",
  COUNT(
    CASE
      WHEN (
        NOT "score" IS NULL AND NOT IS_NAN("score")
      )
      AND CAST("score" AS DOUBLE) >= 0.25
      AND CAST("score" AS DOUBLE) < 0.5
      THEN 1
    END
  ) AS "bin_count__score__1",
  COUNT(
    CASE
      WHEN (
        NOT "score" IS NULL AND NOT IS_NAN("score")
      )
      AND CAST("score" AS DOUBLE) >= 0.5
      AND CAST("score" AS DOUBLE) < 0.75
      THEN 1
    END
  ) AS "bin_count__score__2",
  COUNT(
    CASE
      WHEN (
        NOT "score" IS NULL AND NOT IS_NAN("score")
      )
      AND CAST("score" AS DOUBLE) >= 0.75
      THEN 1
    END
  ) AS "bin_count__score__3",
  COUNT(CASE WHEN (
    NOT "score" IS NULL AND NOT IS_NAN("score")
  ) THEN 1 END) AS "valid_count__score",
  AVG(
    CASE
      WHEN (
        NOT "score" IS NULL AND NOT IS_NAN("score")
      )
      THEN CAST("score" AS DOUBLE)
    END
  ) AS "mean__score",
  STDDEV_SAMP(
    CASE
      WHEN (
        NOT "score" IS NULL AND NOT IS_NAN("score")
      )
      THEN CAST("score" AS DOUBLE)
    END
  ) AS "stddev__score",
  COUNT(
    CASE
      WHEN (
        NOT "score" IS NULL AND NOT IS_NAN("score")
      )
      AND CAST("score" AS DOUBLE) >= 0.5
      THEN 1
    END
  ) AS "positive_count__score"
FROM (
  SELECT
    *
  FROM "main"."events"
  WHERE
    "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
    AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
) AS _rel;
