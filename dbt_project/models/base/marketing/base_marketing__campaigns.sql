-- The raw marketing.campaigns rows of LOADED deliveries, renamed and typed: the marketing platform's campaigns.
with source as (
    select *
    from {{ source('marketing', 'campaigns') }}
    where _batch_id in {{ loaded_batches('marketing') }}
),

renamed as (
    select
        campaign_id,
        campaign_name,
        objective_code,
        product_family as product_family_code,
        product_code,
        channel as channel_code,
        start_date as starts_on,
        end_date as ends_on,
        cost_amount,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
