{#-
  Rows of consecutive values, as a subquery with one column `column`: integer_series(first, last, column) every
  integer from `first` to `last`, day_series(first, last, column) every day. No row when `last` is before `first` (or
  either is NULL). DuckDB has the table function generate_series; Spark explodes sequence() (which would count down
  when last < first, hence the guard).
-#}
{% macro integer_series(first, last, column) -%}
    {{ return(adapter.dispatch('integer_series', 'crmwh')(first, last, column)) }}
{%- endmacro %}

{% macro duckdb__integer_series(first, last, column) -%}
    (select cast(generate_series as integer) as {{ column }} from generate_series({{ first }}, {{ last }}))
{%- endmacro %}

{% macro spark__integer_series(first, last, column) -%}
    (select cast(v as integer) as {{ column }}
     from (select explode(case when ({{ first }}) <= ({{ last }}) then sequence({{ first }}, {{ last }}) end) as v))
{%- endmacro %}

{% macro day_series(first, last, column) -%}
    {{ return(adapter.dispatch('day_series', 'crmwh')(first, last, column)) }}
{%- endmacro %}

{% macro duckdb__day_series(first, last, column) -%}
    (select cast(generate_series as date) as {{ column }}
     from generate_series(cast({{ first }} as date), cast({{ last }} as date), interval 1 day))
{%- endmacro %}

{% macro spark__day_series(first, last, column) -%}
    (select v as {{ column }}
     from (select explode(case when cast({{ first }} as date) <= cast({{ last }} as date)
                               then sequence(cast({{ first }} as date), cast({{ last }} as date), interval 1 day)
                          end) as v))
{%- endmacro %}
