-- Contact attempts of campaigns, the latest delivery of each contact id, codes decoded.
with source as (
    {{ latest_delivered_rows(ref('base_marketing__contacts'), ['contact_id']) }}
),

renamed as (
    select
        contact_id,
        campaign_id,
        cif_no,
        channel_code,
        {{ decode('channel_code', 'marketing.contacts.channel', 'zh') }} as channel_name,
        contacted_on,
        outcome_code,
        {{ decode('outcome_code', 'marketing.contacts.outcome_code', 'zh') }} as outcome_name,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
