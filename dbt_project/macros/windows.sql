{#-
  last_non_null('balance') over (...) -> the last non-NULL value of the expression in the window frame (NULLs
  skipped). DuckDB writes IGNORE NULLS inside the call and refuses it after; Spark's last() takes it as an argument.
-#}
{% macro last_non_null(expression) -%}
    {{ return(adapter.dispatch('last_non_null', 'crmwh')(expression)) }}
{%- endmacro %}

{% macro default__last_non_null(expression) -%}
    last_value({{ expression }} ignore nulls)
{%- endmacro %}

{% macro spark__last_non_null(expression) -%}
    last({{ expression }}, true)
{%- endmacro %}
