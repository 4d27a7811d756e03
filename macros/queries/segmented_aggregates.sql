{#- One scan for many segments: every scalar aggregate requested over the segments of one relation, one row per
    segment (GROUP BY the segment columns), the rows cut to the requested segments first. A requested segment with
    no rows (e.g. a country the baseline lacks) has no group; the last row (_empty = 1) holds what the aggregates
    make of no rows, read from an empty relation, so no segment needs a statement of its own. -#}
{% from "common.sql" import relation, segment_condition %}
SELECT
  0 AS _empty,
{% for column in columns %}
  {{ column | ident }} AS {{ ("_segment_" ~ loop.index0) | ident }},
{% endfor %}
{% for alias, expression in items %}
  {{ expression }} AS {{ alias | ident }}{{ "," if not loop.last }}
{% endfor %}
FROM (
  SELECT * FROM {{ relation(rel) }} AS _all
  WHERE {% for segment in segments %}{{ segment_condition(segment) }}{{ " OR " if not loop.last }}{% endfor %}
) AS _rel
GROUP BY {% for column in columns %}{{ column | ident }}{{ ", " if not loop.last }}{% endfor %}
UNION ALL
SELECT
  1 AS _empty,
{% for column in columns %}
  NULL AS {{ ("_segment_" ~ loop.index0) | ident }},
{% endfor %}
{% for alias, expression in items %}
  {{ expression }} AS {{ alias | ident }}{{ "," if not loop.last }}
{% endfor %}
FROM (SELECT * FROM {{ relation(rel) }} AS _all WHERE 1 = 0) AS _rel
