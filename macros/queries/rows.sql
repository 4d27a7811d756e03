{#- The rows one request asks for (failing-row keys, a custom query), a statement of its own. -#}
SELECT * FROM ({{ part }}) AS requested_rows
