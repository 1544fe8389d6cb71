-- Campaigns (营销活动) as a dimension: the platform's attributes, the attribution window's end (parameter
-- campaign_attribution_window_days), whether the warehouse's data already cover it (is_window_closed: results of a
-- campaign whose window is still open will grow), and whether the campaign held out a control group.
with campaigns as (
    select * from {{ ref('stg_marketing__campaigns') }}
),

members as (
    select
        campaign_id,
        count(*) filter (where list_group_code = 'T') as target_members,
        count(*) filter (where list_group_code = 'C') as control_members
    from {{ ref('stg_marketing__target_lists') }}
    group by campaign_id
),

products as (
    select product_code, product_name from {{ ref('stg_ref__products') }}
),

last_day as (
    select max(last_business_date) as last_business_date from {{ ref('int_month_watermarks') }}
),

final as (
    select
        c.campaign_id,
        c.campaign_name,
        c.objective_code,
        c.objective_name,
        c.product_family_code,
        c.product_family_name,
        c.product_code,
        p.product_name,
        c.channel_code,
        c.channel_name,
        c.starts_on,
        c.ends_on,
        c.ends_on + cast({{ param('campaign_attribution_window_days') }} as integer) as window_ends_on,
        c.ends_on + cast({{ param('campaign_attribution_window_days') }} as integer) <= l.last_business_date
            as is_window_closed,
        c.cost_amount,
        coalesce(m.target_members, 0) as target_members,
        coalesce(m.control_members, 0) as control_members,
        coalesce(m.control_members, 0) > 0 as has_control_group
    from campaigns as c
    cross join last_day as l
    left join members as m on m.campaign_id = c.campaign_id
    left join products as p on p.product_code = c.product_code
)

select * from final
