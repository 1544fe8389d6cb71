{{
    config(
        materialized='incremental',
        incremental_strategy='replace_loaded',
        unique_key='card_txn_id',
        source_system='cards',
        on_schema_change='fail'
    )
}}
-- Card transactions posted by the card system. Incremental: each run adds the new batches.
with source as (
    {{ latest_delivered_rows('cards', 'card_transactions', ['card_txn_id']) }}
),

renamed as (
    select
        card_txn_id,
        card_no,
        txn_date as txn_on,
        txn_time as txn_time_hhmmss,
        txn_type as txn_type_code,
        {{ decode('txn_type', 'cards.card_transactions.txn_type') }} as txn_type_name,
        channel as channel_code,
        {{ decode('channel', 'cards.card_transactions.channel') }} as channel_name,
        mcc as merchant_category_code,
        merchant_name,
        amount,
        currency as currency_code,
        interchange_fee,
        cast(installment_months as integer) as installment_months,
        reversal_flag = 'Y' as is_reversal,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
