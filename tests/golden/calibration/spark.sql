-- sqlmon compile: 1 monitor(s), dialect spark

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 1 statement(s)
-- monitors: calibration

-- 1. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00)
SELECT
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) < 0.25
      THEN 1
    END
  ) AS `bin_stat`,
  SUM(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) < 0.25
      THEN CAST(`score` AS DOUBLE)
    END
  ) AS `bin_stat__1`,
  SUM(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) < 0.25
      THEN CAST(CAST(`flag` AS INT) AS DOUBLE)
    END
  ) AS `bin_stat__2`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.25
      AND CAST(`score` AS DOUBLE) < 0.5
      THEN 1
    END
  ) AS `bin_stat__3`,
  SUM(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.25
      AND CAST(`score` AS DOUBLE) < 0.5
      THEN CAST(`score` AS DOUBLE)
    END
  ) AS `bin_stat__4`,
  SUM(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.25
      AND CAST(`score` AS DOUBLE) < 0.5
      THEN CAST(CAST(`flag` AS INT) AS DOUBLE)
    END
  ) AS `bin_stat__5`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.5
      AND CAST(`score` AS DOUBLE) < 0.75
      THEN 1
    END
  ) AS `bin_stat__6`,
  SUM(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.5
      AND CAST(`score` AS DOUBLE) < 0.75
      THEN CAST(`score` AS DOUBLE)
    END
  ) AS `bin_stat__7`,
  SUM(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.5
      AND CAST(`score` AS DOUBLE) < 0.75
      THEN CAST(CAST(`flag` AS INT) AS DOUBLE)
    END
  ) AS `bin_stat__8`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.75
      THEN 1
    END
  ) AS `bin_stat__9`,
  SUM(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.75
      THEN CAST(`score` AS DOUBLE)
    END
  ) AS `bin_stat__10`,
  SUM(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.75
      THEN CAST(CAST(`flag` AS INT) AS DOUBLE)
    END
  ) AS `bin_stat__11`
FROM (
  SELECT
    *
  FROM `main`.`events`
  WHERE
    `ts` >= CAST('2026-10-03 00:00:00' AS TIMESTAMP_NTZ)
    AND `ts` < CAST('2026-10-04 00:00:00' AS TIMESTAMP_NTZ)
) AS _rel;
