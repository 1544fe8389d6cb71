-- The raw ref.exchange_rates rows of LOADED deliveries, renamed and typed: daily exchange rates to CNY.
with source as (
    select *
    from {{ source('ref', 'exchange_rates') }}
    where _batch_id in {{ loaded_batches('ref') }}
),

renamed as (
    select
        rate_date as rate_on,
        currency as currency_code,
        cny_per_unit,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
