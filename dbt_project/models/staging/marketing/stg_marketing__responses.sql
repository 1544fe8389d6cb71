-- Applications and products taken by listed customers, the latest delivery of each response id, codes decoded.
with source as (
    {{ latest_delivered_rows(ref('base_marketing__responses'), ['response_id']) }}
),

renamed as (
    select
        response_id,
        contact_id,
        campaign_id,
        cif_no,
        responded_on,
        response_type_code,
        {{ decode('response_type_code', 'marketing.responses.response_type', 'zh') }} as response_type_name,
        product_code,
        account_no,
        amount,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
