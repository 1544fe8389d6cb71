{#-
  Deterministic surrogate key: md5 of the '|'-joined text of the columns (NULL as an empty string marked '\N' so that
  (NULL, 'a') and ('', 'a') differ).
-#}
{% macro surrogate_key(columns) -%}
    md5(concat_ws('|'
    {%- for c in columns -%}
        , coalesce(cast({{ c }} as varchar), '\N')
    {%- endfor -%}
    ))
{%- endmacro %}
