-- Daily exchange rates to CNY (中间价), every delivered day kept.
with source as (
    select *
    from {{ source('ref', 'exchange_rates') }}
    where _batch_id in {{ loaded_batches('ref') }}
    qualify row_number() over (partition by rate_date, currency order by {{ latest_delivery_order() }}) = 1
),

renamed as (
    select
        rate_date as rate_on,
        currency as currency_code,
        cny_per_unit,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
