{#-
  param('capital_ratio') -> a scalar subquery reading the value from the `parameters` seed. Every business parameter
  is read this way (or joined from its own seed): no value is ever written twice.
-#}
{% macro param(name) -%}
    (select parameter_value from {{ ref('parameters') }} where parameter_name = '{{ name }}')
{%- endmacro %}

{#-
  param_int('churn_dormancy_months') -> the parameter as an integer literal, read when the model runs: for the places
  SQL takes a constant only (window frame offsets). The seed is a parent through ref(), so it is loaded first.
-#}
{% macro param_int(name) -%}
    {%- set relation = ref('parameters') -%}
    {%- if execute -%}
        {%- set result = run_query("select cast(parameter_value as integer) from " ~ relation
                                   ~ " where parameter_name = '" ~ name ~ "'") -%}
        {%- if result.rows | length != 1 -%}
            {{ exceptions.raise_compiler_error("parameter " ~ name ~ " is missing from seed parameters") }}
        {%- endif -%}
        {{ result.columns[0].values()[0] }}
    {%- else -%}
        1
    {%- endif -%}
{%- endmacro %}
