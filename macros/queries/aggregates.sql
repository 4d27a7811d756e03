{#- One scan: every scalar aggregate requested over the same relation, as one single-row SELECT. -#}
{% from "common.sql" import relation %}
SELECT
{% for alias, expression in items %}
  {{ expression }} AS {{ alias | ident }}{{ "," if not loop.last }}
{% endfor %}
FROM {{ relation(rel) }} AS _rel
