-- The raw marketing.target_lists rows of LOADED deliveries, renamed and typed: campaign list members, target or
-- control group.
with source as (
    select *
    from {{ source('marketing', 'target_lists') }}
    where _batch_id in {{ loaded_batches('marketing') }}
),

renamed as (
    select
        campaign_id,
        cif_no,
        list_group as list_group_code,
        list_date as listed_on,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
