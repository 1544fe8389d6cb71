-- Campaigns (营销活动) as the latest snapshot of the marketing platform delivers them (a full extract: the rows of
-- the latest delivered date), codes decoded.
with source as (
    select *
    from {{ ref('base_marketing__campaigns') }}
    where _business_date = (select max(_business_date) from {{ ref('base_marketing__campaigns') }})
    qualify row_number() over (partition by campaign_id order by {{ latest_delivery_order() }}) = 1
),

renamed as (
    select
        campaign_id,
        campaign_name,
        objective_code,
        {{ decode('objective_code', 'marketing.campaigns.objective_code', 'zh') }} as objective_name,
        product_family_code,
        {{ decode('product_family_code', 'marketing.campaigns.product_family', 'zh') }} as product_family_name,
        product_code,
        channel_code,
        {{ decode('channel_code', 'marketing.campaigns.channel', 'zh') }} as channel_name,
        starts_on,
        ends_on,
        cost_amount,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
