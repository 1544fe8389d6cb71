{{
    config(
        materialized='incremental',
        unique_key=['account_no', 'month_start']
    )
}}
-- depends_on: {{ ref('stg_audit__deliveries') }}
-- Interest accrued per account and month (ACT/360 on the daily balance), in account currency.
-- Incremental: each run adds the rows of the new batches (a key delivered again replaces its older row).
with source as (
    {{ latest_delivered_rows(ref('base_core__interest_accruals'), ['account_no', 'accrual_month']) }}
),

renamed as (
    select
        account_no,
        {{ month_start('accrual_month') }} as month_start,
        currency_code,
        accrued_interest,
        accrual_days,
        gl_account_code,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
