-- Interest accrued per account and month (ACT/360 on the daily balance), in account currency.
with source as (
    select *
    from {{ source('core', 'interest_accruals') }}
    where _batch_id in {{ loaded_batches('core') }}
    qualify row_number() over (partition by account_no, accrual_month order by {{ latest_delivery_order() }}) = 1
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
