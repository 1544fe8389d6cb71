-- Daily exchange rates to CNY (中间价), every delivered day kept.
with source as (
    {{ latest_delivered_rows(ref('base_ref__exchange_rates'), ['rate_on', 'currency_code']) }}
),

renamed as (
    select
        rate_on,
        currency_code,
        cny_per_unit,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
