{#-
  The unknown member (未知) every dimension carries, keyed -1 (GitLab's "Missing" member): a fact whose key to a
  dimension is missing carries -1 instead of NULL, so a join from a fact to a dimension never drops a row or leaves it
  blank. The member is one row of descriptive labels and no measure, and no fact holds a key that is merely absent from
  its dimension (the relationships tests fail the build), so it changes no total; its other attributes are NULL (false
  for flags), except where a not-null test needs a code: there it is -1 too.
-#}
{% macro unknown_key() -%}
    '-1'
{%- endmacro %}

{#- The label of the unknown member's descriptive columns (English-language columns: 'Unknown'). -#}
{% macro unknown_label(language='zh') -%}
    {{ "'未知'" if language == 'zh' else "'Unknown'" }}
{%- endmacro %}

{#- A fact's key to a dimension: the unknown member when the fact has none. -#}
{% macro dimension_key(key) -%}
    coalesce({{ key }}, {{ unknown_key() }})
{%- endmacro %}
