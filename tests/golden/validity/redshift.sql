-- sqlmon compile: 1 monitor(s), dialect redshift

-- source events (main.events), window [2026-10-03 00:00:00, 2026-10-04 00:00:00): 3 statement(s)
-- monitors: validity

-- 1. aggregates over main.events [2026-10-03 00:00:00, 2026-10-04 00:00:00)
SELECT
  COUNT(*) AS "row_count",
  COUNT(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL
          AND (
            (
              "amount" <= 0.0
            ) OR (
              "amount" >= 30.0
            )
          )
        )
      )
      THEN 1
    END
  ) AS "invalid_count__amount",
  COUNT(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND (
            (
              "amount" <= 0.0
            )
          )
        )
      )
      THEN 1
    END
  ) AS "invalid_count__amount__1",
  COUNT(
    CASE
      WHEN (
        (
          NOT "amount" IS NULL AND (
            (
              "amount" >= 30.0
            )
          )
        )
      )
      THEN 1
    END
  ) AS "invalid_count__amount__2",
  COUNT(
    CASE
      WHEN (
        "country" IS NULL
        OR (
          NOT "country" IS NULL
          AND (
            (
              NOT "country" IN ('DE', 'FR')
            )
            OR (
              NOT CAST("country" AS VARCHAR(MAX)) ~ '^[A-Z]{2}$'
            )
            OR (
              LENGTH(CAST("country" AS VARCHAR(MAX))) > 2
            )
          )
        )
      )
      THEN 1
    END
  ) AS "invalid_count__country",
  COUNT(
    CASE
      WHEN (
        (
          NOT "country" IS NULL AND (
            (
              NOT "country" IN ('DE', 'FR')
            )
          )
        )
      )
      THEN 1
    END
  ) AS "invalid_count__country__1",
  COUNT(
    CASE
      WHEN (
        (
          NOT "country" IS NULL
          AND (
            (
              NOT CAST("country" AS VARCHAR(MAX)) ~ '^[A-Z]{2}$'
            )
          )
        )
      )
      THEN 1
    END
  ) AS "invalid_count__country__2",
  COUNT(
    CASE
      WHEN (
        (
          NOT "country" IS NULL
          AND (
            (
              LENGTH(CAST("country" AS VARCHAR(MAX))) > 2
            )
          )
        )
      )
      THEN 1
    END
  ) AS "invalid_count__country__3",
  COUNT(CASE WHEN (
    "country" IS NULL
  ) THEN 1 END) AS "invalid_count__country__4"
FROM (
  SELECT
    *
  FROM "main"."events"
  WHERE
    "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
    AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
) AS _rel;

-- 2. distributions: duplicates
SELECT
  req,
  k,
  a,
  b
FROM (
  SELECT
    0 AS req,
    CAST(k AS VARCHAR(MAX)) AS k,
    CAST(a AS DOUBLE PRECISION) AS a,
    CAST(b AS DOUBLE PRECISION) AS b
  FROM (
    SELECT
      CAST(NULL AS VARCHAR(MAX)) AS k,
      COUNT(CASE WHEN copies > 1 THEN 1 END) AS a,
      COUNT(CASE WHEN copies > 1 OR bad THEN 1 END) AS b
    FROM (
      SELECT
        CASE WHEN NOT "id" IS NULL THEN COUNT(*) OVER (PARTITION BY "id") END AS copies,
        (
          FALSE
        ) AS bad
      FROM (
        SELECT
          *
        FROM "main"."events"
        WHERE
          "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
          AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
      ) AS "p0_rows"
    ) AS "p0_keys"
  ) AS "part_0"
  UNION ALL
  SELECT
    1 AS req,
    CAST(k AS VARCHAR(MAX)) AS k,
    CAST(a AS DOUBLE PRECISION) AS a,
    CAST(b AS DOUBLE PRECISION) AS b
  FROM (
    SELECT
      CAST(NULL AS VARCHAR(MAX)) AS k,
      COUNT(CASE WHEN copies > 1 THEN 1 END) AS a,
      COUNT(CASE WHEN copies > 1 OR bad THEN 1 END) AS b
    FROM (
      SELECT
        CASE
          WHEN NOT "country" IS NULL AND NOT "item" IS NULL
          THEN COUNT(*) OVER (PARTITION BY "country", "item")
        END AS copies,
        (
          FALSE
        ) AS bad
      FROM (
        SELECT
          *
        FROM "main"."events"
        WHERE
          "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
          AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
      ) AS "p1_rows"
    ) AS "p1_keys"
  ) AS "part_1"
) AS parts;

-- 3. samples of failing rows: the keys (id, ts) of the first 3 per column
SELECT
  *
FROM (
  SELECT
    "k0",
    "k1",
    "n_0",
    "f_0_0",
    "f_0_1",
    "n_1",
    "f_1_0",
    "f_1_1",
    "f_1_2",
    "f_1_3",
    "n_2",
    "f_2_0",
    "n_3",
    "f_3_0"
  FROM (
    SELECT
      *,
      CASE
        WHEN "bad_0" = 1
        THEN ROW_NUMBER() OVER (PARTITION BY "bad_0" ORDER BY "k0", "k1")
      END AS "n_0",
      CASE
        WHEN "bad_1" = 1
        THEN ROW_NUMBER() OVER (PARTITION BY "bad_1" ORDER BY "k0", "k1")
      END AS "n_1",
      CASE
        WHEN "bad_2" = 1
        THEN ROW_NUMBER() OVER (PARTITION BY "bad_2" ORDER BY "k0", "k1")
      END AS "n_2",
      CASE
        WHEN "bad_3" = 1
        THEN ROW_NUMBER() OVER (PARTITION BY "bad_3" ORDER BY "k0", "k1")
      END AS "n_3"
    FROM (
      SELECT
        *,
        CASE WHEN "f_0_0" = 1 OR "f_0_1" = 1 THEN 1 ELSE 0 END AS "bad_0",
        CASE WHEN "f_1_0" = 1 OR "f_1_1" = 1 OR "f_1_2" = 1 OR "f_1_3" = 1 THEN 1 ELSE 0 END AS "bad_1",
        CASE WHEN "f_2_0" = 1 THEN 1 ELSE 0 END AS "bad_2",
        CASE WHEN "f_3_0" = 1 THEN 1 ELSE 0 END AS "bad_3"
      FROM (
        SELECT
          "id" AS "k0",
          "ts" AS "k1",
          CASE WHEN NOT "amount" IS NULL AND (
            "amount" <= 0.0
          ) THEN 1 ELSE 0 END AS "f_0_0",
          CASE WHEN NOT "amount" IS NULL AND (
            "amount" >= 30.0
          ) THEN 1 ELSE 0 END AS "f_0_1",
          CASE
            WHEN NOT "country" IS NULL AND (
              NOT "country" IN ('DE', 'FR')
            )
            THEN 1
            ELSE 0
          END AS "f_1_0",
          CASE
            WHEN NOT "country" IS NULL
            AND (
              NOT CAST("country" AS VARCHAR(MAX)) ~ '^[A-Z]{2}$'
            )
            THEN 1
            ELSE 0
          END AS "f_1_1",
          CASE
            WHEN NOT "country" IS NULL AND (
              LENGTH(CAST("country" AS VARCHAR(MAX))) > 2
            )
            THEN 1
            ELSE 0
          END AS "f_1_2",
          CASE WHEN "country" IS NULL THEN 1 ELSE 0 END AS "f_1_3",
          CASE
            WHEN NOT "id" IS NULL AND COUNT(*) OVER (PARTITION BY "id") > 1
            THEN 1
            ELSE 0
          END AS "f_2_0",
          CASE
            WHEN NOT "country" IS NULL
            AND NOT "item" IS NULL
            AND COUNT(*) OVER (PARTITION BY "country", "item") > 1
            THEN 1
            ELSE 0
          END AS "f_3_0"
        FROM (
          SELECT
            *
          FROM "main"."events"
          WHERE
            "ts" >= CAST('2026-10-03 00:00:00' AS TIMESTAMP)
            AND "ts" < CAST('2026-10-04 00:00:00' AS TIMESTAMP)
        ) AS sample_rows
      ) AS sample_flags
    ) AS sample_verdicts
  ) AS sample_numbers
  WHERE
    "n_0" <= 3 OR "n_1" <= 3 OR "n_2" <= 3 OR "n_3" <= 3
) AS requested_rows;
