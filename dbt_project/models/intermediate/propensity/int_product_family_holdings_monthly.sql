{{ config(materialized='table', post_hook="{{ record_rebuild_inputs() }}") }}
-- Point-in-time product holdings per personal customer, complete month end T and marketed product family (seed
-- product_families): the accounts and cards of the family open at T (their versions valid at T) and the months since
-- the latest of them opened. Only families held have a row. Reads T and earlier only (tests/e2e/test_churn_leakage.py
-- compares a bank cut at T with the full one).
-- A daily build recomputes it only when a complete month may have changed, else carries it over
-- (macros/rebuild_when_inputs_change.sql).
with months as (
    select month_start, month_end from {{ ref('int_month_watermarks') }} where is_complete
),

families as (
    select category_code, product_family_code from {{ ref('product_families') }}
),

final as (
    select
        m.month_start,
        a.party_id,
        f.product_family_code,
        cast(count(*) as integer) as accounts_held,
        cast({{ month_diff('max(a.opened_on)', 'm.month_end') }} as integer) as months_since_last_opened
    from months as m
    inner join {{ ref('int_account_attributes_monthly') }} as a on a.month_start = m.month_start
    inner join families as f on f.category_code = a.category_code
    where a.customer_type_code = 'P'
      and a.opened_on <= m.month_end
      and (a.closed_on is null or a.closed_on > m.month_end)
    group by m.month_start, m.month_end, a.party_id, f.product_family_code
)

{% if rebuild_needed() %}
select * from final
{% else %}
{{ carried_over() }}
{% endif %}
