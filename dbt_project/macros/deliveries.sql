{#-
  Only rows of deliveries whose status is LOADED count: a REJECTED delivery never reaches the warehouse and a
  SUPERSEDED one was replaced by a reload (which has its own, later batch id).
-#}
{% macro loaded_batches(system) -%}
    (
        select d.batch_id
        from {{ source('audit', 'deliveries') }} as d
        where d.system = '{{ system }}' and d.status = 'LOADED'
    )
{%- endmacro %}

{#- Batch ids of a system that no longer count (superseded by a reload, or rejected). -#}
{% macro unloaded_batches(system) -%}
    (
        select d.batch_id
        from {{ source('audit', 'deliveries') }} as d
        where d.system = '{{ system }}' and d.status <> 'LOADED'
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
  The rows of an extract that count: LOADED batches only (on an incremental model, only the batches newer than it
  holds), and of each key (`keys`, a list of columns) the latest delivery.
-#}
{% macro latest_delivered_rows(system, extract, keys) -%}
    select *
    from {{ source(system, extract) }}
    where _batch_id in {{ loaded_batches(system) }}
      and {{ new_batches_only() }}
    qualify row_number() over (partition by {{ keys | join(', ') }} order by {{ latest_delivery_order() }}) = 1
{%- endmacro %}
