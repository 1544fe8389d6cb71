-- The raw marketing.responses rows of LOADED deliveries, renamed and typed: applications and products taken by
-- listed customers.
with source as (
    select *
    from {{ source('marketing', 'responses') }}
    where _batch_id in {{ loaded_batches('marketing') }}
),

renamed as (
    select
        response_id,
        contact_id,
        campaign_id,
        cif_no,
        response_date as responded_on,
        response_type as response_type_code,
        product_code,
        account_no,
        amount,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
