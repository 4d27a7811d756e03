-- sqlmon compile: 1 monitor(s), dialect bigquery

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 2 statement(s)
-- monitors: model_performance

-- 1. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00)
SELECT
  COUNT(CASE WHEN (
    NOT `score` IS NULL AND NOT IS_NAN(`score`)
  ) THEN 1 END) AS `scored_count`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT IS_NAN(`score`)
      ) AND NOT `flag` IS NULL
      THEN 1
    END
  ) AS `labelled_count`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT IS_NAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS FLOAT64) >= 0.5
      AND CAST(CAST(`flag` AS INT64) AS FLOAT64) = 1.0
      THEN 1
    END
  ) AS `cell`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT IS_NAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS FLOAT64) >= 0.5
      AND CAST(CAST(`flag` AS INT64) AS FLOAT64) = 0.0
      THEN 1
    END
  ) AS `cell__1`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT IS_NAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS FLOAT64) < 0.5
      AND CAST(CAST(`flag` AS INT64) AS FLOAT64) = 1.0
      THEN 1
    END
  ) AS `cell__2`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT IS_NAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS FLOAT64) < 0.5
      AND CAST(CAST(`flag` AS INT64) AS FLOAT64) = 0.0
      THEN 1
    END
  ) AS `cell__3`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT IS_NAN(`score`)
      )
      AND CAST(`score` AS FLOAT64) >= 0.5
      THEN 1
    END
  ) AS `predicted_positive`,
  SUM(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT IS_NAN(`score`)
      ) AND NOT `flag` IS NULL
      THEN -(
        CAST(CAST(`flag` AS INT64) AS FLOAT64) * LN(
          GREATEST(LEAST(CAST(`score` AS FLOAT64), 1 - 2.220446049250313e-16), 2.220446049250313e-16)
        ) + (
          1 - CAST(CAST(`flag` AS INT64) AS FLOAT64)
        ) * LN(
          1 - GREATEST(LEAST(CAST(`score` AS FLOAT64), 1 - 2.220446049250313e-16), 2.220446049250313e-16)
        )
      )
    END
  ) AS `log_loss_sum`,
  SUM(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT IS_NAN(`score`)
      ) AND NOT `flag` IS NULL
      THEN (
        CAST(`score` AS FLOAT64) - CAST(CAST(`flag` AS INT64) AS FLOAT64)
      ) * (
        CAST(`score` AS FLOAT64) - CAST(CAST(`flag` AS INT64) AS FLOAT64)
      )
    END
  ) AS `error_sum`
FROM (
  SELECT
    *
  FROM `main`.`events`
  WHERE
    `ts` >= CAST('2026-10-03 00:00:00' AS DATETIME)
    AND `ts` < CAST('2026-10-04 00:00:00' AS DATETIME)
) AS _rel;

-- 2. distributions: roc_auc
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
      CASE
        WHEN MAX(total_pos) > 0 AND MAX(total_neg) > 0
        THEN SUM(pos * (
          neg_below + 0.5 * neg
        )) / (
          MAX(total_pos) * MAX(total_neg)
        )
      END AS a,
      CAST(NULL AS FLOAT64) AS b
    FROM (
      SELECT
        pos,
        neg,
        SUM(neg) OVER (ORDER BY s ASC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - neg AS neg_below,
        SUM(pos) OVER () AS total_pos,
        SUM(neg) OVER () AS total_neg
      FROM (
        SELECT
          CAST(`score` AS FLOAT64) AS s,
          SUM(CAST(CAST(`flag` AS INT64) AS FLOAT64)) AS pos,
          SUM(1 - CAST(CAST(`flag` AS INT64) AS FLOAT64)) AS neg
        FROM (
          SELECT
            *
          FROM `main`.`events`
          WHERE
            `ts` >= CAST('2026-10-03 00:00:00' AS DATETIME)
            AND `ts` < CAST('2026-10-04 00:00:00' AS DATETIME)
        ) AS c_rel
        WHERE
          (
            NOT `score` IS NULL AND NOT IS_NAN(`score`)
          ) AND NOT `flag` IS NULL
        GROUP BY
          1
      ) AS per_score
    ) AS ranked
  ) AS `part_0`
) AS parts;
