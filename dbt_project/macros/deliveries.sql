{#-
  Only rows of deliveries whose status is LOADED count: a REJECTED delivery never reaches the warehouse, a
  SUPERSEDED one was replaced by a reload (which has its own, later batch id) and a WITHDRAWN one was taken out by
  `crmwh withdraw` (its raw rows are deleted too; the next build is a full refresh). The base models apply this filter to
  every source, so nothing downstream sees a row of a batch that does not count.
-#}
{% macro loaded_batches(system) -%}
    (
        select d.batch_id
        from {{ ref('base_audit__deliveries') }} as d
        where d.source_system = '{{ system }}' and d.delivery_status = 'LOADED'
    )
{%- endmacro %}

{#-
  `batch_column` holds a batch of `system` that no longer counts (superseded by a reload, or rejected): one that is not
  among the LOADED deliveries. Used by the `replace_loaded` strategy when it runs, so it reads a relation rather than
  an ephemeral model; the incremental models using the strategy declare `-- depends_on: ref('stg_audit__deliveries')`.
-#}
{% macro is_unloaded_batch(batch_column, system) -%}
    {{ batch_column }} not in (
        select d.batch_id
        from {{ ref('stg_audit__deliveries') }} as d
        where d.source_system = '{{ system }}'
    )
{%- endmacro %}

{#-
  The latest delivery of each key wins: later business date first, then the later batch (a reload), then the later
  line of the file (a key repeated inside one file).
-#}
{% macro latest_delivery_order() -%}
    _business_date desc, _batch_id desc, _line_number desc
{%- endmacro %}

{#-
  The rows of a base model that a staging model keeps: on an incremental model, only the batches newer than it holds,
  and of each key (`keys`, a list of columns as the base model names them) the latest delivery.
-#}
{% macro latest_delivered_rows(base_relation, keys) -%}
    select *
    from {{ base_relation }}
    where {{ new_batches_only() }}
    qualify row_number() over (partition by {{ keys | join(', ') }} order by {{ latest_delivery_order() }}) = 1
{%- endmacro %}
