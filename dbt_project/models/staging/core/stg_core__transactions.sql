{{
    config(
        materialized='incremental',
        unique_key='txn_id'
    )
}}
-- depends_on: {{ ref('stg_audit__deliveries') }}
-- Posted core-banking transactions. Incremental: each run adds the new batches (a reload replaces its date).
with source as (
    {{ latest_delivered_rows(ref('base_core__transactions'), ['txn_id']) }}
),

renamed as (
    select
        txn_id,
        account_no,
        txn_on,
        txn_time_hhmmss,
        txn_type_code,
        {{ decode('txn_type_code', 'core.transactions.txn_type') }} as txn_type_name,
        channel_code,
        {{ decode('channel_code', 'core.transactions.channel') }} as channel_name,
        dr_cr_code,
        amount,
        currency_code,
        fee_amount,
        is_reversal,
        original_txn_id,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
