{#- freshness: the newest row before a moment, and the longest pause between consecutive rows of a window. -#}
{% from "common.sql" import relation %}

{#- The newest value of the column before `before` (the window's end, or the run's time for the window in progress):
    over the whole table, since how stale a source is does not depend on which window the newest row fell in. -#}
{% macro newest(column, before) -%}
MAX(CASE WHEN {{ column | ident }} < {{ before | timestamp }} THEN {{ column | ident }} END)
{%- endmacro %}

{#- The largest gap in seconds between consecutive values of the column among the window's rows (a), and where it
    began, in epoch seconds (b): one row, or none when the window has fewer than two values. Ties: the earliest. -#}
{% macro max_gap(rel, column, tag) -%}
{%- set seconds -%}EPOCH(CAST({{ column | ident }} AS TIMESTAMP)){%- endset -%}
SELECT CAST(NULL AS VARCHAR) AS k, gap AS a, previous AS b
FROM (
  SELECT {{ seconds }} - LAG({{ seconds }}) OVER (ORDER BY {{ column | ident }} NULLS FIRST) AS gap,
    LAG({{ seconds }}) OVER (ORDER BY {{ column | ident }} NULLS FIRST) AS previous
  FROM {{ relation(rel) }} AS {{ (tag ~ "rows") | ident }}
  WHERE {{ column | ident }} IS NOT NULL
) AS {{ (tag ~ "gaps") | ident }}
WHERE gap IS NOT NULL
ORDER BY gap DESC, previous NULLS FIRST
LIMIT 1
{%- endmacro %}
