-- The raw core.balances rows of LOADED deliveries, renamed and typed: end-of-day ledger balances (change-only).
with source as (
    select *
    from {{ source('core', 'balances') }}
    where _batch_id in {{ loaded_batches('core') }}
),

renamed as (
    select
        account_no,
        balance_date as balance_on,
        currency as currency_code,
        balance,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
