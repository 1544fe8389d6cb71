{{
    config(
        materialized='incremental',
        incremental_strategy='replace_loaded',
        unique_key='txn_id',
        source_system='core',
        on_schema_change='fail'
    )
}}
-- Posted core-banking transactions. Incremental: each run adds the new batches (a reload replaces its date).
with source as (
    {{ latest_delivered_rows('core', 'transactions', ['txn_id']) }}
),

renamed as (
    select
        txn_id,
        account_no,
        txn_date as txn_on,
        txn_time as txn_time_hhmmss,
        txn_type as txn_type_code,
        {{ decode('txn_type', 'core.transactions.txn_type') }} as txn_type_name,
        channel as channel_code,
        {{ decode('channel', 'core.transactions.channel') }} as channel_name,
        dr_cr_flag as dr_cr_code,
        amount,
        currency as currency_code,
        fee_amount,
        reversal_flag = 'Y' as is_reversal,
        original_txn_id,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
