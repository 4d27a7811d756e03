{#- Every distribution request of a window as one statement; `req` tells the rows apart. Each part yields
    (k VARCHAR, a DOUBLE, b DOUBLE). -#}
SELECT req, k, a, b FROM (
{% for part in parts %}
  SELECT {{ loop.index0 | literal }} AS req, CAST(k AS VARCHAR) AS k, CAST(a AS DOUBLE) AS a, CAST(b AS DOUBLE) AS b
  FROM ({{ part }}) AS {{ ("part_" ~ loop.index0) | ident }}
  {{ "UNION ALL" if not loop.last }}
{% endfor %}
) AS parts
