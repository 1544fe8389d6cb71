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

{#- The start of a version valid for every date (the unknown member of dim_customer). -#}
{% macro open_start_date() -%}
    date '{{ var("open_start_date") }}'
{%- endmacro %}

{#-
  The latest repricing date on or before `as_of` of an account opened on `opened_on` that reprices every
  `period_months` months (opened_on + k × period, k >= 0); the opening date itself when it lies after `as_of`.
-#}
{% macro last_repricing_on(opened_on, period_months, as_of) -%}
    {%- set k = 'greatest(0, date_diff(\'month\', ' ~ opened_on ~ ', ' ~ as_of ~ ') // ' ~ period_months ~ ')' -%}
    {%- set candidate = 'cast(' ~ opened_on ~ ' + to_months(cast(' ~ k ~ ' * ' ~ period_months ~ ' as integer)) as date)' -%}
    case
        when {{ candidate }} <= {{ as_of }} then {{ candidate }}
        else cast({{ opened_on }} + to_months(cast(greatest({{ k }} - 1, 0) * {{ period_months }} as integer)) as date)
    end
{%- endmacro %}
