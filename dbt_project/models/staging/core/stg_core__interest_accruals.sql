{{
    config(
        materialized='incremental',
        incremental_strategy='replace_loaded',
        unique_key=['account_no', 'month_start'],
        source_system='core',
        on_schema_change='fail'
    )
}}
-- Interest accrued per account and month (ACT/360 on the daily balance), in account currency.
-- Incremental: each run adds the rows of the new batches (a key delivered again replaces its older row).
with source as (
    {{ latest_delivered_rows('core', 'interest_accruals', ['account_no', 'accrual_month']) }}
),

renamed as (
    select
        account_no,
        {{ month_start('accrual_month') }} as month_start,
        currency as currency_code,
        accrued_interest,
        cast(accrual_days as integer) as accrual_days,
        gl_account as gl_account_code,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
