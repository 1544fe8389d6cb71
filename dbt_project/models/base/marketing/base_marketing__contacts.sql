-- The raw marketing.contacts rows of LOADED deliveries, renamed and typed: contact attempts of campaigns.
with source as (
    select *
    from {{ source('marketing', 'contacts') }}
    where _batch_id in {{ loaded_batches('marketing') }}
),

renamed as (
    select
        contact_id,
        campaign_id,
        cif_no,
        channel as channel_code,
        contact_date as contacted_on,
        outcome_code,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
