{{
    config(
        materialized='incremental',
        unique_key=['account_no', 'balance_on']
    )
}}
-- depends_on: {{ ref('stg_audit__deliveries') }}
-- End-of-day ledger balances (日终余额), change-only: an account has a row on the days its balance changed and on
-- every month end. A balance holds until the account's next row. Incremental: each run adds the new batches.
with source as (
    {{ latest_delivered_rows(ref('base_core__balances'), ['account_no', 'balance_on']) }}
),

renamed as (
    select
        account_no,
        balance_on,
        currency_code,
        balance,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
