{#- validity: rows whose value breaks a column's rules. A rule judges values, so a NULL breaks only `not_null`. -#}
{% from "common.sql" import relation %}

{#- The condition under which a non-NULL value breaks one rule (name, argument); `strict` makes min/max exclusive. -#}
{% macro broken(column, rule, argument, strict) -%}
{%- set c = column | ident -%}
{%- if rule == "min" -%}({{ c }} {{ "<=" if strict else "<" }} {{ argument | literal }})
{%- elif rule == "max" -%}({{ c }} {{ ">=" if strict else ">" }} {{ argument | literal }})
{%- elif rule == "accepted_values" -%}({{ c }} NOT IN ({% for value in argument %}{{ value | literal }}{{ ", " if not loop.last }}{% endfor %}))
{%- elif rule == "regex" -%}(NOT REGEXP_MATCHES(CAST({{ c }} AS VARCHAR), {{ argument | literal }}))
{%- elif rule == "min_length" -%}(LENGTH(CAST({{ c }} AS VARCHAR)) < {{ argument | literal }})
{%- elif rule == "max_length" -%}(LENGTH(CAST({{ c }} AS VARCHAR)) > {{ argument | literal }})
{%- endif -%}
{%- endmacro %}

{#- A row is invalid for a column's rules: NULL when `not_null` is one of them, else a value that breaks any of the
    others (`rules`: (name, argument) pairs). -#}
{% macro invalid(column, not_null, rules, strict) -%}
{%- set broken_value -%}
{{ column | ident }} IS NOT NULL AND ({% for rule, argument in rules %}{{ broken(column, rule, argument, strict) }}{{ " OR " if not loop.last }}{% endfor %})
{%- endset -%}
({% if not_null %}{{ column | ident }} IS NULL{{ " OR " if rules }}{% endif %}{% if rules %}({{ broken_value }}){% endif %}{% if not not_null and not rules %}FALSE{% endif %})
{%- endmacro %}

{% macro invalid_count(column, not_null, rules, strict) -%}
COUNT(CASE WHEN {{ invalid(column, not_null, rules, strict) }} THEN 1 END)
{%- endmacro %}

{#- Uniqueness needs each key's count: the rows whose key (all columns non-NULL) occurs more than once (a), and the
    rows that are such duplicates or break one of the column's other rules (b), in one pass over the window. -#}
{% macro duplicates(rel, columns, not_null, rules, strict, tag) -%}
SELECT CAST(NULL AS VARCHAR) AS k,
  COUNT(CASE WHEN copies > 1 THEN 1 END) AS a,
  COUNT(CASE WHEN copies > 1 OR bad THEN 1 END) AS b
FROM (
  SELECT CASE WHEN {% for column in columns %}{{ column | ident }} IS NOT NULL{{ " AND " if not loop.last }}{% endfor %}
      THEN COUNT(*) OVER (PARTITION BY {% for column in columns %}{{ column | ident }}{{ ", " if not loop.last }}{% endfor %}) END AS copies,
    {{ invalid(columns[0], not_null, rules, strict) }} AS bad
  FROM {{ relation(rel) }} AS {{ (tag ~ "rows") | ident }}
) AS {{ (tag ~ "keys") | ident }}
{%- endmacro %}

{#- Samples: the keys of the first `limit` rows, in key order, that break each group's rules (a group: a column and
    its rules, or a key of several columns that must be unique), and which rules each broke. One statement: row flags
    and key counts, then the group's verdict, then its running number; a row is kept while any group's number is
    within the limit. Columns out: the keys k0…, then per group g its number n_g and a 0/1 flag per rule f_g_r. -#}
{% macro samples(rel, key, groups, limit) -%}
{%- set order -%}{% for column in key %}{{ ("k" ~ loop.index0) | ident }} NULLS LAST{{ ", " if not loop.last }}{% endfor %}{%- endset -%}
SELECT {% for column in key %}{{ ("k" ~ loop.index0) | ident }}, {% endfor %}
{%- for group in groups %}{% set g = loop.index0 %}{{ ("n_" ~ g) | ident }}{% for rule in group.rules %}, {{ ("f_" ~ g ~ "_" ~ loop.index0) | ident }}{% endfor %}{{ ", " if not loop.last }}{% endfor %}
FROM (
  SELECT *,
  {%- for group in groups %}{% set g = loop.index0 %}
    CASE WHEN {{ ("bad_" ~ g) | ident }} = 1 THEN ROW_NUMBER() OVER (PARTITION BY {{ ("bad_" ~ g) | ident }} ORDER BY {{ order }}) END AS {{ ("n_" ~ g) | ident }}{{ "," if not loop.last }}
  {%- endfor %}
  FROM (
    SELECT *,
    {%- for group in groups %}{% set g = loop.index0 %}
      CASE WHEN {% for rule in group.rules %}{{ ("f_" ~ g ~ "_" ~ loop.index0) | ident }} = 1{{ " OR " if not loop.last }}{% endfor %} THEN 1 ELSE 0 END AS {{ ("bad_" ~ g) | ident }}{{ "," if not loop.last }}
    {%- endfor %}
    FROM (
      SELECT {% for column in key %}{{ column | ident }} AS {{ ("k" ~ loop.index0) | ident }}, {% endfor %}
      {%- for group in groups %}{% set g = loop.index0 %}{% set c = group.columns[0] %}
        {%- for rule, argument in group.rules %}
        {%- if rule == "not_null" %}
        CASE WHEN {{ c | ident }} IS NULL THEN 1 ELSE 0 END
        {%- elif rule == "unique" %}
        CASE WHEN {% for column in group.columns %}{{ column | ident }} IS NOT NULL{{ " AND " if not loop.last }}{% endfor %}
          AND COUNT(*) OVER (PARTITION BY {% for column in group.columns %}{{ column | ident }}{{ ", " if not loop.last }}{% endfor %}) > 1 THEN 1 ELSE 0 END
        {%- else %}
        CASE WHEN {{ c | ident }} IS NOT NULL AND {{ broken(c, rule, argument, group.strict) }} THEN 1 ELSE 0 END
        {%- endif %} AS {{ ("f_" ~ g ~ "_" ~ loop.index0) | ident }}{{ "," if not loop.last }}
        {%- endfor %}{{ "," if not loop.last }}
      {%- endfor %}
      FROM {{ relation(rel) }} AS sample_rows
    ) AS sample_flags
  ) AS sample_verdicts
) AS sample_numbers
WHERE {% for group in groups %}{{ ("n_" ~ loop.index0) | ident }} <= {{ limit | literal }}{{ " OR " if not loop.last }}{% endfor %}
{%- endmacro %}
