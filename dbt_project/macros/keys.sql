{#-
  Deterministic surrogate key: md5 of the '|'-joined text of the columns (NULL as the two characters backslash-N so
  that (NULL, 'a') and ('', 'a') differ). The marker is written chr(92) || 'N', never as the literal '\N': Spark's
  parser reads a backslash in a string literal as an escape ('\N' is 'N' there), which would change every key on Spark
  with no error.
-#}
{% macro surrogate_key(columns) -%}
    md5(concat_ws('|'
    {%- for c in columns -%}
        , coalesce(cast({{ c }} as string), {{ null_marker() }})
    {%- endfor -%}
    ))
{%- endmacro %}

{#- The text standing for NULL inside a surrogate key: backslash-N on every engine. -#}
{% macro null_marker() -%}
    (chr(92) || 'N')
{%- endmacro %}
