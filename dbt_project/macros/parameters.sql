{#-
  param('capital_ratio') -> a scalar subquery reading the value from the `parameters` seed. Every business parameter
  is read this way (or joined from its own seed): no value is ever written twice.
-#}
{% macro param(name) -%}
    (select parameter_value from {{ ref('parameters') }} where parameter_name = '{{ name }}')
{%- endmacro %}
