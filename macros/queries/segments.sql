{#- The segments of a relation, most rows first (ties: segment values ascending, NULL first), cut to the first
    `limit`; each row also says how many segments there are in all, so a cut can be reported. One scan. -#}
{% from "common.sql" import relation %}
SELECT {% for column in columns %}{{ ("s" ~ loop.index0) | ident }}, {% endfor %}n, segments FROM (
  SELECT {% for column in columns %}{{ ("s" ~ loop.index0) | ident }}, {% endfor %}n, COUNT(*) OVER () AS segments,
    ROW_NUMBER() OVER (ORDER BY n DESC{% for column in columns %}, {{ ("s" ~ loop.index0) | ident }} ASC NULLS FIRST{% endfor %}) AS rn
  FROM (
    SELECT {% for column in columns %}{{ column | ident }} AS {{ ("s" ~ loop.index0) | ident }}, {% endfor %}COUNT(*) AS n
    FROM {{ relation(rel) }} AS _rel
    GROUP BY {% for column in columns %}{{ column | ident }}{{ ", " if not loop.last }}{% endfor %}
  ) AS per_segment
) AS ranked
WHERE rn <= {{ limit | literal }}
ORDER BY rn
