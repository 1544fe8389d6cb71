{#-
  all_columns_except(alias, columns): every column of relation alias `alias` but `columns`, in a select list. DuckDB
  writes it `alias.* exclude (...)`, Spark `alias.* except (...)`.
-#}
{% macro all_columns_except(alias, columns) -%}
    {{ return(adapter.dispatch('all_columns_except', 'crmwh')(alias, columns)) }}
{%- endmacro %}

{% macro duckdb__all_columns_except(alias, columns) -%}
    {{ alias }}.* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__all_columns_except(alias, columns) -%}
    {{ alias }}.* except ({{ columns | join(', ') }})
{%- endmacro %}
