-- sqlmon compile: 1 monitor(s), dialect spark

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 2 statement(s)
-- monitors: model_performance

-- 1. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00)
SELECT
  COUNT(CASE WHEN (
    NOT `score` IS NULL AND NOT ISNAN(`score`)
  ) THEN 1 END) AS `scored_count`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      ) AND NOT `flag` IS NULL
      THEN 1
    END
  ) AS `labelled_count`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.5
      AND CAST(CAST(`flag` AS INT) AS DOUBLE) = 1.0
      THEN 1
    END
  ) AS `cell`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.5
      AND CAST(CAST(`flag` AS INT) AS DOUBLE) = 0.0
      THEN 1
    END
  ) AS `cell__1`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) < 0.5
      AND CAST(CAST(`flag` AS INT) AS DOUBLE) = 1.0
      THEN 1
    END
  ) AS `cell__2`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `flag` IS NULL
      AND CAST(`score` AS DOUBLE) < 0.5
      AND CAST(CAST(`flag` AS INT) AS DOUBLE) = 0.0
      THEN 1
    END
  ) AS `cell__3`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND CAST(`score` AS DOUBLE) >= 0.5
      THEN 1
    END
  ) AS `predicted_positive`,
  SUM(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      ) AND NOT `flag` IS NULL
      THEN -(
        CAST(CAST(`flag` AS INT) AS DOUBLE) * LN(
          GREATEST(LEAST(CAST(`score` AS DOUBLE), 1 - 2.220446049250313e-16), 2.220446049250313e-16)
        ) + (
          1 - CAST(CAST(`flag` AS INT) AS DOUBLE)
        ) * LN(
          1 - GREATEST(LEAST(CAST(`score` AS DOUBLE), 1 - 2.220446049250313e-16), 2.220446049250313e-16)
        )
      )
    END
  ) AS `log_loss_sum`,
  SUM(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      ) AND NOT `flag` IS NULL
      THEN (
        CAST(`score` AS DOUBLE) - CAST(CAST(`flag` AS INT) AS DOUBLE)
      ) * (
        CAST(`score` AS DOUBLE) - CAST(CAST(`flag` AS INT) AS DOUBLE)
      )
    END
  ) AS `error_sum`
FROM (
  SELECT
    *
  FROM `main`.`events`
  WHERE
    `ts` >= CAST('2026-10-03 00:00:00' AS TIMESTAMP_NTZ)
    AND `ts` < CAST('2026-10-04 00:00:00' AS TIMESTAMP_NTZ)
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
    CAST(a AS DOUBLE) AS a,
    CAST(b AS DOUBLE) AS b
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
      CAST(NULL AS DOUBLE) AS b
    FROM (
      SELECT
        pos,
        neg,
        SUM(neg) OVER (ORDER BY s ASC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - neg AS neg_below,
        SUM(pos) OVER () AS total_pos,
        SUM(neg) OVER () AS total_neg
      FROM (
        SELECT
          CAST(`score` AS DOUBLE) AS s,
          SUM(CAST(CAST(`flag` AS INT) AS DOUBLE)) AS pos,
          SUM(1 - CAST(CAST(`flag` AS INT) AS DOUBLE)) AS neg
        FROM (
          SELECT
            *
          FROM `main`.`events`
          WHERE
            `ts` >= CAST('2026-10-03 00:00:00' AS TIMESTAMP_NTZ)
            AND `ts` < CAST('2026-10-04 00:00:00' AS TIMESTAMP_NTZ)
        ) AS c_rel
        WHERE
          (
            NOT `score` IS NULL AND NOT ISNAN(`score`)
          ) AND NOT `flag` IS NULL
        GROUP BY
          1
      ) AS per_score
    ) AS ranked
  ) AS `part_0`
) AS parts;
