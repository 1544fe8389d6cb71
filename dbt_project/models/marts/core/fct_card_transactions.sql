{{
    config(
        materialized='incremental',
        unique_key='card_txn_id',
        source_system='cards'
    )
}}
-- depends_on: {{ ref('stg_audit__deliveries') }}
-- Card transactions (credit and debit), one row per posted transaction, with the interchange the issuer earned.
-- Incremental by delivery like fct_transactions.
with transactions as (
    select *
    from {{ ref('stg_cards__card_transactions') }}
    where {{ new_batches_only() }}
),

cards as (
    select account_id, party_id, product_code, branch_code, card_type_code
    from {{ ref('int_accounts') }}
    where account_source = 'cards'
),

-- the customer version valid on the transaction day (macros/customer_versions.sql), found by a range join
customers as (
    {{ customer_versions_covering_every_day() }}
),

final as (
    select
        t.card_txn_id,
        t.card_no as account_id,
        cards.card_type_code,
        cards.party_id,
        coalesce(c.customer_key, {{ unknown_key() }}) as customer_key,
        {{ dimension_key('cards.product_code') }} as product_code,
        {{ dimension_key('cards.branch_code') }} as branch_code,
        {{ dimension_key("'cards:' || t.channel_code") }} as channel_key,
        t.txn_on,
        t.txn_time_hhmmss,
        t.txn_type_code,
        t.txn_type_name,
        t.channel_code,
        t.merchant_category_code,
        t.merchant_name,
        t.currency_code,
        t.amount,
        fx.cny_per_unit,
        {{ to_cny('t.amount', 'fx.cny_per_unit') }} as amount_cny,
        t.interchange_fee,
        t.installment_months,
        t.is_reversal,
        t._delivered_on,
        t._batch_id
    from transactions as t
    left join cards on cards.account_id = t.card_no
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.currency_code = t.currency_code and fx.rate_on = t.txn_on
    left join customers as c
        on c.party_id = cards.party_id and t.txn_on >= c.valid_from and t.txn_on < c.valid_to
)

select * from final
