{% macro month_start(date_expression) -%}
    cast(date_trunc('month', {{ date_expression }}) as date)
{%- endmacro %}

{% macro month_end(date_expression) -%}
    cast(last_day({{ date_expression }}) as date)
{%- endmacro %}

{#- Calendar days of the month of a date (28 to 31). -#}
{% macro days_in_month(date_expression) -%}
    cast(day(last_day({{ date_expression }})) as integer)
{%- endmacro %}

{% macro open_end_date() -%}
    date '{{ var("open_end_date") }}'
{%- endmacro %}
