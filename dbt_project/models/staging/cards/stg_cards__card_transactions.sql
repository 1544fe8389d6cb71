{{
    config(
        materialized='incremental',
        unique_key='card_txn_id'
    )
}}
-- depends_on: {{ ref('stg_audit__deliveries') }}
-- Card transactions posted by the card system. Incremental: each run adds the new batches.
with source as (
    {{ latest_delivered_rows(ref('base_cards__card_transactions'), ['card_txn_id']) }}
),

renamed as (
    select
        card_txn_id,
        card_no,
        txn_on,
        txn_time_hhmmss,
        txn_type_code,
        {{ decode('txn_type_code', 'cards.card_transactions.txn_type') }} as txn_type_name,
        channel_code,
        {{ decode('channel_code', 'cards.card_transactions.channel') }} as channel_name,
        merchant_category_code,
        merchant_name,
        amount,
        currency_code,
        interchange_fee,
        installment_months,
        is_reversal,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
