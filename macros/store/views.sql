{#- Views beside the results tables, for BI tools. -#}

{% macro latest_metrics(schema) -%}
SELECT run_id, monitor, monitor_type, source, column_name, segment, metric, value, window_start, window_end, computed_at
FROM (
  SELECT m.*, ROW_NUMBER() OVER (
    PARTITION BY monitor, column_name, segment, metric ORDER BY window_start DESC, computed_at DESC
  ) AS rn
  FROM {{ (schema ~ ".sqlmon_metrics") | table }} AS m
) AS ranked
WHERE rn = 1
{%- endmacro %}

{#- Alerts of each monitor's most recent window: what is wrong now. -#}
{% macro open_alerts(schema) -%}
SELECT a.*
FROM {{ (schema ~ ".sqlmon_alerts") | table }} AS a
JOIN (
  SELECT monitor, MAX(window_start) AS window_start FROM {{ (schema ~ ".sqlmon_metrics") | table }} GROUP BY monitor
) AS latest ON a.monitor = latest.monitor AND a.window_start = latest.window_start
{%- endmacro %}
