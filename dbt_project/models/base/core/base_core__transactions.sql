-- The raw core.transactions rows of LOADED deliveries, renamed and typed: posted core-banking transactions; PII: the
-- counterparty's name.
with source as (
    select *
    from {{ source('core', 'transactions') }}
    where _batch_id in {{ loaded_batches('core') }}
),

renamed as (
    select
        txn_id,
        account_no,
        txn_date as txn_on,
        txn_time as txn_time_hhmmss,
        txn_type as txn_type_code,
        channel as channel_code,
        dr_cr_flag as dr_cr_code,
        amount,
        currency as currency_code,
        fee_amount,
        reversal_flag = 'Y' as is_reversal,
        original_txn_id,
        counterparty_name,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
