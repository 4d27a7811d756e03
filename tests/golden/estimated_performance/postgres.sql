-- sqlmon compile: 1 monitor(s), dialect postgres

-- source events_rolling (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 2 statement(s)
-- monitors: estimated_performance

-- 1. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00)
SELECT
  COUNT(
    CASE
      WHEN (
        (
          NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
        )
        AND CAST("score" AS DOUBLE PRECISION) >= 0
        AND CAST("score" AS DOUBLE PRECISION) <= 1
      )
      THEN 1
    END
  ) AS "scored_count",
  COUNT(
    CASE
      WHEN (
        NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
      )
      AND (
        CAST("score" AS DOUBLE PRECISION) < 0 OR CAST("score" AS DOUBLE PRECISION) > 1
      )
      THEN 1
    END
  ) AS "out_of_range_count",
  SUM(
    CASE
      WHEN (
        (
          NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
        )
        AND CAST("score" AS DOUBLE PRECISION) >= 0
        AND CAST("score" AS DOUBLE PRECISION) <= 1
      )
      AND CAST("score" AS DOUBLE PRECISION) >= 0.5
      THEN CAST("score" AS DOUBLE PRECISION)
    END
  ) AS "expected_cell",
  SUM(
    CASE
      WHEN (
        (
          NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
        )
        AND CAST("score" AS DOUBLE PRECISION) >= 0
        AND CAST("score" AS DOUBLE PRECISION) <= 1
      )
      AND CAST("score" AS DOUBLE PRECISION) >= 0.5
      THEN 1 - CAST("score" AS DOUBLE PRECISION)
    END
  ) AS "expected_cell__1",
  SUM(
    CASE
      WHEN (
        (
          NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
        )
        AND CAST("score" AS DOUBLE PRECISION) >= 0
        AND CAST("score" AS DOUBLE PRECISION) <= 1
      )
      AND CAST("score" AS DOUBLE PRECISION) < 0.5
      THEN CAST("score" AS DOUBLE PRECISION)
    END
  ) AS "expected_cell__2",
  SUM(
    CASE
      WHEN (
        (
          NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
        )
        AND CAST("score" AS DOUBLE PRECISION) >= 0
        AND CAST("score" AS DOUBLE PRECISION) <= 1
      )
      AND CAST("score" AS DOUBLE PRECISION) < 0.5
      THEN 1 - CAST("score" AS DOUBLE PRECISION)
    END
  ) AS "expected_cell__3"
FROM (
  SELECT
    *
  FROM "main"."events"
  WHERE
    "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
    AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
) AS _rel;

-- 2. aggregates over main.events [2026-10-01 00:00:00, 2026-10-03 00:00:00) — the baseline span before the window
SELECT
  SUM(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      THEN CASE
        WHEN CAST("score" AS DOUBLE PRECISION) >= 0.5
        THEN CAST("score" AS DOUBLE PRECISION)
        ELSE 1 - CAST("score" AS DOUBLE PRECISION)
      END
    END
  ) AS "baseline_correct",
  SUM(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      THEN CASE
        WHEN CAST("score" AS DOUBLE PRECISION) >= 0.5
        THEN CAST(CAST("flag" AS INT) AS DOUBLE PRECISION)
        ELSE 1 - CAST(CAST("flag" AS INT) AS DOUBLE PRECISION)
      END
    END
  ) AS "baseline_correct__1",
  COUNT(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      AND CAST("score" AS DOUBLE PRECISION) < 0.25
      THEN 1
    END
  ) AS "baseline_bin",
  SUM(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      AND CAST("score" AS DOUBLE PRECISION) < 0.25
      THEN CAST("score" AS DOUBLE PRECISION)
    END
  ) AS "baseline_bin__1",
  SUM(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      AND CAST("score" AS DOUBLE PRECISION) < 0.25
      THEN CAST(CAST("flag" AS INT) AS DOUBLE PRECISION)
    END
  ) AS "baseline_bin__2",
  COUNT(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      AND CAST("score" AS DOUBLE PRECISION) >= 0.25
      AND CAST("score" AS DOUBLE PRECISION) < 0.5
      THEN 1
    END
  ) AS "baseline_bin__3",
  SUM(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      AND CAST("score" AS DOUBLE PRECISION) >= 0.25
      AND CAST("score" AS DOUBLE PRECISION) < 0.5
      THEN CAST("score" AS DOUBLE PRECISION)
    END
  ) AS "baseline_bin__4",
  SUM(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      AND CAST("score" AS DOUBLE PRECISION) >= 0.25
      AND CAST("score" AS DOUBLE PRECISION) < 0.5
      THEN CAST(CAST("flag" AS INT) AS DOUBLE PRECISION)
    END
  ) AS "baseline_bin__5",
  COUNT(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      AND CAST("score" AS DOUBLE PRECISION) >= 0.5
      AND CAST("score" AS DOUBLE PRECISION) < 0.75
      THEN 1
    END
  ) AS "baseline_bin__6",
  SUM(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      AND CAST("score" AS DOUBLE PRECISION) >= 0.5
      AND CAST("score" AS DOUBLE PRECISION) < 0.75
      THEN CAST("score" AS DOUBLE PRECISION)
    END
  ) AS "baseline_bin__7",
  SUM(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      AND CAST("score" AS DOUBLE PRECISION) >= 0.5
      AND CAST("score" AS DOUBLE PRECISION) < 0.75
      THEN CAST(CAST("flag" AS INT) AS DOUBLE PRECISION)
    END
  ) AS "baseline_bin__8",
  COUNT(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      AND CAST("score" AS DOUBLE PRECISION) >= 0.75
      THEN 1
    END
  ) AS "baseline_bin__9",
  SUM(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      AND CAST("score" AS DOUBLE PRECISION) >= 0.75
      THEN CAST("score" AS DOUBLE PRECISION)
    END
  ) AS "baseline_bin__10",
  SUM(
    CASE
      WHEN (
        (
          (
            NOT "score" IS NULL AND NOT "score" = CAST('NaN' AS DOUBLE PRECISION)
          )
          AND CAST("score" AS DOUBLE PRECISION) >= 0
          AND CAST("score" AS DOUBLE PRECISION) <= 1
        )
        AND NOT "flag" IS NULL
      )
      AND CAST("score" AS DOUBLE PRECISION) >= 0.75
      THEN CAST(CAST("flag" AS INT) AS DOUBLE PRECISION)
    END
  ) AS "baseline_bin__11"
FROM (
  SELECT
    *
  FROM "main"."events"
  WHERE
    "ts" >= CAST('2026-10-01 00:00:00' AS TIMESTAMP)
    AND "ts" < CAST('2026-10-03 00:00:00' AS TIMESTAMP)
) AS _rel;
