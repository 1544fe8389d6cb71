{#-
  What a data test reads. dbt routes every generic test's model through `get_where_subquery`; this project's version
  adds one rule to dbt's `where` config: in a daily build (`crmwh build` passes var `tests_after_batch`, the newest
  batch id the previous build had seen), a test of an incremental model reads only the rows this build wrote —
  rows of newer batches (`replace_loaded` models, `_batch_id`) or months whose watermark moved (`replace_months`
  models, `_max_batch_id`). Older rows were tested by the build that wrote them and no later build changed them; both
  strategies replace whole keys or months, so a key cannot repeat between old and new rows. Tests of views and tables
  rebuilt in full, and every test of a full refresh, read everything.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set filters = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do filters.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set written = rows_written_by_this_build() -%}
    {%- if written -%}
        {%- do filters.append(written) -%}
    {%- endif -%}
    {%- if filters -%}
        (select * from {{ relation }} where {{ filters | join(' and ') }}) dbt_subquery
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- The filter on the rows this daily build wrote into the tested model, or none (test everything). -#}
{% macro rows_written_by_this_build() -%}
    {%- set after = var('tests_after_batch', none) -%}
    {%- if after is none or not execute or not model.attached_node -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) -%}
    {%- if tested is none or tested.config.materialized != 'incremental' -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set column = {'replace_loaded': '_batch_id', 'replace_months': '_max_batch_id'}.get(
        tested.config.incremental_strategy) -%}
    {%- if column is none -%}
        {{- exceptions.raise_compiler_error(
            "daily test scope: incremental model " ~ tested.name ~ " uses strategy "
            ~ tested.config.incremental_strategy ~ "; teach rows_written_by_this_build() which rows it writes") -}}
    {%- endif -%}
    {{- return(column ~ ' > ' ~ (after | int)) -}}
{%- endmacro %}
