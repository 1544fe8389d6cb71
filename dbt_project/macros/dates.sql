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

{#-
  The month-in-progress columns every monthly mart carries, as int_month_watermarks (the one model deciding them)
  says for the month in `month_column`: is_month_complete (the month end has been delivered; false for the running
  month, 月初至今) and, unless `days` is false, observed_days (the days of the month the warehouse holds data for).
  Readers default to complete months; a month in progress is compared over its observed days only.
-#}
{% macro month_status(month_column, days=true) -%}
    (select _mw.is_complete from {{ ref('int_month_watermarks') }} as _mw where _mw.month_start = {{ month_column }})
        as is_month_complete
    {%- if days %},
    (select _mw.observed_days from {{ ref('int_month_watermarks') }} as _mw where _mw.month_start = {{ month_column }})
        as observed_days
    {%- endif %}
{%- endmacro %}
