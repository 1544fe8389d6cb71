-- Campaign list members: the latest delivery of each (campaign, customer), target (T) or control (C) group.
with source as (
    {{ latest_delivered_rows(ref('base_marketing__target_lists'), ['campaign_id', 'cif_no']) }}
),

renamed as (
    select
        campaign_id,
        cif_no,
        list_group_code,
        {{ decode('list_group_code', 'marketing.target_lists.list_group', 'zh') }} as list_group_name,
        listed_on,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
