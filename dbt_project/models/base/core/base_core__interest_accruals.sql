-- The raw core.interest_accruals rows of LOADED deliveries, renamed and typed: interest accrued per account and month.
with source as (
    select *
    from {{ source('core', 'interest_accruals') }}
    where _batch_id in {{ loaded_batches('core') }}
),

renamed as (
    select
        account_no,
        accrual_month,
        currency as currency_code,
        accrued_interest,
        cast(accrual_days as integer) as accrual_days,
        gl_account as gl_account_code,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
