{#-
  The business dates a full-snapshot extract was delivered, for scd2_history's `delivery_dates`: the LOADED deliveries
  of its system that carried the extract's file. An extract the bank profile sends only on change is absent from the
  deliveries of the days it did not change, and those days end no version; an extract sent every day is in every
  delivery of its system.
-#}
{% macro extract_delivery_dates(extract_key) -%}
    {%- set system, extract = extract_key.split('.') -%}
    select d.business_date
    from {{ ref('stg_audit__deliveries') }} as d
    where d.source_system = '{{ system }}'
      and exists (
          select 1 from {{ ref('base_audit__delivery_files') }} as f
          where f.batch_id = d.batch_id and f.extract_name = '{{ extract }}'
      )
{%- endmacro %}
