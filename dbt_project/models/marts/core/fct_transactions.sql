{{
    config(
        materialized='incremental',
        unique_key='txn_id',
        source_system='core'
    )
}}
-- depends_on: {{ ref('stg_audit__deliveries') }}
-- Core-banking transactions, one row per posted transaction, amounts in account currency and in CNY at the rate of
-- the transaction day. Incremental by delivery: each run adds the batches newer than the newest it holds; a reload of
-- a past business date replaces that date's rows (its superseded batch is deleted).
with transactions as (
    select *
    from {{ ref('stg_core__transactions') }}
    where {{ new_batches_only() }}
),

accounts as (
    select account_id, party_id, product_code, branch_code from {{ ref('int_accounts') }}
),

-- the customer version valid on the transaction day (macros/customer_versions.sql), found by a range join
customers as (
    {{ customer_versions_covering_every_day() }}
),

final as (
    select
        t.txn_id,
        t.account_no as account_id,
        a.party_id,
        coalesce(c.customer_key, {{ unknown_key() }}) as customer_key,
        {{ dimension_key('a.product_code') }} as product_code,
        {{ dimension_key('a.branch_code') }} as branch_code,
        {{ dimension_key("'core:' || t.channel_code") }} as channel_key,
        t.txn_on,
        t.txn_time_hhmmss,
        t.txn_type_code,
        t.txn_type_name,
        t.channel_code,
        t.dr_cr_code,
        t.currency_code,
        t.amount,
        fx.cny_per_unit,
        {{ to_cny('t.amount', 'fx.cny_per_unit') }} as amount_cny,
        cast(
            case when t.dr_cr_code = 'C' then 1 else -1 end * {{ to_cny('t.amount', 'fx.cny_per_unit') }}
            as decimal(18, 2)
        ) as signed_amount_cny,
        t.fee_amount,
        {{ to_cny('t.fee_amount', 'fx.cny_per_unit') }} as fee_amount_cny,
        t.is_reversal,
        t.original_txn_id,
        t._delivered_on,
        t._batch_id
    from transactions as t
    left join accounts as a on a.account_id = t.account_no
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.currency_code = t.currency_code and fx.rate_on = t.txn_on
    left join customers as c
        on c.party_id = a.party_id and t.txn_on >= c.valid_from and t.txn_on < c.valid_to
)

select * from final
