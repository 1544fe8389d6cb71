{#-
  The business dates a full-snapshot extract was delivered, for scd2_history's `delivery_dates`: every LOADED delivery
  of its system — except for an extract the bank sends only on change (bank profile `on_change`, seed bank_profile):
  a delivery without its file means "unchanged", so only the dates its rows came count, and the days between end no
  version.
-#}
{% macro extract_delivery_dates(extract_key, base_relation) -%}
    select d.business_date
    from {{ ref('stg_audit__deliveries') }} as d
    where d.source_system = '{{ extract_key.split(".")[0] }}'
      and (
          not exists (
              select 1 from {{ ref('bank_profile') }} as p
              where p.setting = 'on_change' and p.value = '{{ extract_key }}'
          )
          or exists (select 1 from {{ base_relation }} as b where b._business_date = d.business_date)
      )
{%- endmacro %}
