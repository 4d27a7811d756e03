{#- Views beside the results tables, for BI tools. They show the rows of finished runs only: on an engine without
    transactions (Spark) a run that died mid-write leaves rows without a `sqlmon_runs` row until the next run removes
    them. -#}

{% macro finished(schema) -%}
run_id IN (SELECT run_id FROM {{ (schema ~ ".sqlmon_runs") | table }})
{%- endmacro %}

{% macro latest_metrics(schema) -%}
SELECT run_id, monitor, monitor_type, source, column_name, segment, metric, value, window_start, window_end, computed_at
FROM (
  SELECT m.*, ROW_NUMBER() OVER (
    PARTITION BY monitor, column_name, segment, metric ORDER BY window_start DESC, computed_at DESC
  ) AS rn
  FROM {{ (schema ~ ".sqlmon_metrics") | table }} AS m
  WHERE {{ finished(schema) }}
) AS ranked
WHERE rn = 1
{%- endmacro %}

{#- Alerts of each monitor's most recent window: what is wrong now. -#}
{% macro open_alerts(schema) -%}
SELECT a.*
FROM {{ (schema ~ ".sqlmon_alerts") | table }} AS a
JOIN (
  SELECT monitor, MAX(window_start) AS window_start FROM {{ (schema ~ ".sqlmon_metrics") | table }}
  WHERE {{ finished(schema) }}
  GROUP BY monitor
) AS latest ON a.monitor = latest.monitor AND a.window_start = latest.window_start
WHERE a.{{ finished(schema) }}
{%- endmacro %}
