{#-
  Schemas are exactly the names configured in dbt_project.yml (staging, snapshots, intermediate, marts,
  restricted_pii, seeds), never prefixed with the target schema: analysts, Superset and the grants on restricted_pii
  rely on these fixed names.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
