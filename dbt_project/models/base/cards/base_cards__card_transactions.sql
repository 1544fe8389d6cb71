-- The raw cards.card_transactions rows of LOADED deliveries, renamed and typed: card transactions.
with source as (
    select *
    from {{ source('cards', 'card_transactions') }}
    where _batch_id in {{ loaded_batches('cards') }}
),

renamed as (
    select
        card_txn_id,
        card_no,
        txn_date as txn_on,
        txn_time as txn_time_hhmmss,
        txn_type as txn_type_code,
        channel as channel_code,
        mcc as merchant_category_code,
        merchant_name,
        amount,
        currency as currency_code,
        interchange_fee,
        cast(installment_months as integer) as installment_months,
        reversal_flag = 'Y' as is_reversal,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
