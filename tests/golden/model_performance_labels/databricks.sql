-- sqlmon compile: 1 monitor(s), dialect databricks

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 2 statement(s)
-- monitors: model_performance_labels

-- 1. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00) joined with labels from main.outcomes
SELECT
  COUNT(CASE WHEN (
    NOT `score` IS NULL AND NOT ISNAN(`score`)
  ) THEN 1 END) AS `scored_count`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      ) AND NOT `sqlmon_label` IS NULL
      THEN 1
    END
  ) AS `labelled_count`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      ) AND `sqlmon_label_conflict` = 1
      THEN 1
    END
  ) AS `conflict_count`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `sqlmon_label` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.5
      AND CAST(CAST(`sqlmon_label` AS INT) AS DOUBLE) = 1.0
      THEN 1
    END
  ) AS `cell`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `sqlmon_label` IS NULL
      AND CAST(`score` AS DOUBLE) >= 0.5
      AND CAST(CAST(`sqlmon_label` AS INT) AS DOUBLE) = 0.0
      THEN 1
    END
  ) AS `cell__1`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `sqlmon_label` IS NULL
      AND CAST(`score` AS DOUBLE) < 0.5
      AND CAST(CAST(`sqlmon_label` AS INT) AS DOUBLE) = 1.0
      THEN 1
    END
  ) AS `cell__2`,
  COUNT(
    CASE
      WHEN (
        NOT `score` IS NULL AND NOT ISNAN(`score`)
      )
      AND NOT `sqlmon_label` IS NULL
      AND CAST(`score` AS DOUBLE) < 0.5
      AND CAST(CAST(`sqlmon_label` AS INT) AS DOUBLE) = 0.0
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
      ) AND NOT `sqlmon_label` IS NULL
      THEN -(
        CAST(CAST(`sqlmon_label` AS INT) AS DOUBLE) * LN(
          GREATEST(LEAST(CAST(`score` AS DOUBLE), 1 - 2.220446049250313e-16), 2.220446049250313e-16)
        ) + (
          1 - CAST(CAST(`sqlmon_label` AS INT) AS DOUBLE)
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
      ) AND NOT `sqlmon_label` IS NULL
      THEN (
        CAST(`score` AS DOUBLE) - CAST(CAST(`sqlmon_label` AS INT) AS DOUBLE)
      ) * (
        CAST(`score` AS DOUBLE) - CAST(CAST(`sqlmon_label` AS INT) AS DOUBLE)
      )
    END
  ) AS `error_sum`
FROM (
  SELECT
    l_source.*,
    l_one.l_label AS `sqlmon_label`,
    l_one.l_conflict AS `sqlmon_label_conflict`
  FROM (
    SELECT
      *
    FROM `main`.`events`
    WHERE
      `ts` >= CAST('2026-10-03 00:00:00' AS TIMESTAMP_NTZ)
      AND `ts` < CAST('2026-10-04 00:00:00' AS TIMESTAMP_NTZ)
  ) AS l_source
  LEFT JOIN (
    SELECT
      `l_key_0`,
      `l_key_1`,
      l_label,
      CASE WHEN l_same < l_all THEN 1 ELSE 0 END AS l_conflict
    FROM (
      SELECT
        `event_id` AS `l_key_0`,
        `country` AS `l_key_1`,
        `is_fraud` AS l_label,
        ROW_NUMBER() OVER (PARTITION BY `event_id`, `country` ORDER BY `labelled_at` DESC, `is_fraud` DESC) AS l_rank,
        COUNT(*) OVER (PARTITION BY `event_id`, `country`, `is_fraud`) AS l_same,
        COUNT(*) OVER (PARTITION BY `event_id`, `country`) AS l_all
      FROM `main`.`outcomes`
      WHERE
        NOT `is_fraud` IS NULL
    ) AS l_ranked
    WHERE
      l_rank = 1
  ) AS l_one
    ON l_source.`id` = l_one.`l_key_0` AND l_source.`country` = l_one.`l_key_1`
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
          SUM(CAST(CAST(`sqlmon_label` AS INT) AS DOUBLE)) AS pos,
          SUM(1 - CAST(CAST(`sqlmon_label` AS INT) AS DOUBLE)) AS neg
        FROM (
          SELECT
            l_source.*,
            l_one.l_label AS `sqlmon_label`,
            l_one.l_conflict AS `sqlmon_label_conflict`
          FROM (
            SELECT
              *
            FROM `main`.`events`
            WHERE
              `ts` >= CAST('2026-10-03 00:00:00' AS TIMESTAMP_NTZ)
              AND `ts` < CAST('2026-10-04 00:00:00' AS TIMESTAMP_NTZ)
          ) AS l_source
          LEFT JOIN (
            SELECT
              `l_key_0`,
              `l_key_1`,
              l_label,
              CASE WHEN l_same < l_all THEN 1 ELSE 0 END AS l_conflict
            FROM (
              SELECT
                `event_id` AS `l_key_0`,
                `country` AS `l_key_1`,
                `is_fraud` AS l_label,
                ROW_NUMBER() OVER (PARTITION BY `event_id`, `country` ORDER BY `labelled_at` DESC, `is_fraud` DESC) AS l_rank,
                COUNT(*) OVER (PARTITION BY `event_id`, `country`, `is_fraud`) AS l_same,
                COUNT(*) OVER (PARTITION BY `event_id`, `country`) AS l_all
              FROM `main`.`outcomes`
              WHERE
                NOT `is_fraud` IS NULL
            ) AS l_ranked
            WHERE
              l_rank = 1
          ) AS l_one
            ON l_source.`id` = l_one.`l_key_0` AND l_source.`country` = l_one.`l_key_1`
        ) AS c_rel
        WHERE
          (
            NOT `score` IS NULL AND NOT ISNAN(`score`)
          ) AND NOT `sqlmon_label` IS NULL
        GROUP BY
          1
      ) AS per_score
    ) AS ranked
  ) AS `part_0`
) AS parts;
