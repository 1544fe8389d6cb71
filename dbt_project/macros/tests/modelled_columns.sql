{#-
  modelled_columns(schemas): a subquery of (table_schema, table_name, column_name, data_type), one row per column of
  every relation in `schemas`, for the tests that look at the warehouse's columns. DuckDB reads its
  information_schema; Spark's session catalog has none, so the columns of every relation dbt builds there are read
  through the adapter when the test compiles and pasted as rows (data_type as Spark names it: double, float, ...).
-#}
{% macro modelled_columns(schemas) -%}
    {{ return(adapter.dispatch('modelled_columns', 'crmwh')(schemas)) }}
{%- endmacro %}

{% macro default__modelled_columns(schemas) -%}
    (select table_schema, table_name, column_name, data_type
     from information_schema.columns
     where table_catalog = current_database()
       and table_schema in ({% for s in schemas %}'{{ s }}'{{ ', ' if not loop.last }}{% endfor %}))
{%- endmacro %}

{% macro spark__modelled_columns(schemas) -%}
    {%- set rows = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() | selectattr('resource_type', 'in', ['model', 'seed', 'snapshot']) -%}
            {%- set relation = adapter.get_relation(database=node.database, schema=node.schema,
                                                    identifier=node.alias) if node.schema in schemas else none -%}
            {%- if relation is not none -%}
                {%- for column in adapter.get_columns_in_relation(relation) -%}
                    {%- do rows.append("('" ~ node.schema ~ "', '" ~ relation.identifier ~ "', '" ~ column.name
                                       ~ "', '" ~ column.dtype ~ "')") -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if rows -%}
    (select * from values {{ rows | join(', ') }} as c(table_schema, table_name, column_name, data_type))
    {%- else -%}
    (select cast(null as string) as table_schema, cast(null as string) as table_name,
            cast(null as string) as column_name, cast(null as string) as data_type
     where false)
    {%- endif -%}
{%- endmacro %}
