{#-
  decode('channel', 'core.transactions.channel') -> the code's English label from the code_values seed, which is
  generated from the extract contracts (`crmwh contracts --sync-dbt`). The label of an unknown code is NULL (and the
  accepted_values tests on the code fail loudly).
-#}
{% macro decode(column, code_set, language='en') -%}
    (
        select cv.label_{{ language }}
        from {{ ref('code_values') }} as cv
        where cv.code_set = '{{ code_set }}' and cv.code = {{ column }}
    )
{%- endmacro %}
