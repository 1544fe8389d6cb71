-- Campaign performance (营销活动效果) per campaign, per campaign and segment, per campaign and branch
-- (breakdown_code CAMPAIGN / SEGMENT / BRANCH): reach, response and conversion rates; the uplift of the target group
-- over the randomly held-out control group in conversion rate, new money (incremental AUM) and net contribution to
-- date, each with a confidence interval (difference of two means, normal approximation, z = parameter
-- campaign_uplift_z; macro uplift_standard_error); cost per acquisition and ROI against the campaign's cost, which
-- is split over a breakdown's rows by target-group size, exactly to the cent.
-- Not measurable is never zero: a campaign without a control group has every uplift, CPA and ROI NULL (不可测), and
-- so has a row whose target or control group is below parameter campaign_min_group_size (样本不足). A control-group
-- customer who was contacted is left out of the uplift (int_campaign_members.is_in_uplift).
with members as (
    select
        {{ all_columns_except('m', ['segment_code', 'branch_code']) }},
        coalesce(m.segment_code, '-1') as segment_code,
        coalesce(m.branch_code, '-1') as branch_code
    from {{ ref('fct_campaign_members') }} as m
),

campaigns as (
    select * from {{ ref('dim_campaign') }}
),

tiers as (
    select aum_tier_code, aum_tier_name_zh from {{ ref('aum_tiers') }}
),

branches as (
    select branch_code, branch_name from {{ ref('dim_branch') }}
),

cells as (
    select
        campaign_id,
        case grouping(segment_code) * 2 + grouping(branch_code) when 3 then 'CAMPAIGN' when 1 then 'SEGMENT' else 'BRANCH' end
            as breakdown_code,
        segment_code,
        branch_code,
        count(*) filter (where list_group_code = 'T') as target_members,
        count(*) filter (where list_group_code = 'C') as control_members,
        count(*) filter (where is_control_contacted) as control_contacted,
        count(*) filter (where list_group_code = 'C' and is_in_uplift) as control_in_uplift,
        count(*) filter (where list_group_code = 'T' and is_contacted) as targets_contacted,
        count(*) filter (where list_group_code = 'T' and is_reached) as targets_reached,
        count(*) filter (where list_group_code = 'T' and is_interested) as targets_interested,
        count(*) filter (where list_group_code = 'T' and has_response) as target_responders,
        count(*) filter (where list_group_code = 'T' and has_conversion) as target_converters,
        count(*) filter (where list_group_code = 'C' and is_in_uplift and has_response) as control_responders,
        count(*) filter (where list_group_code = 'C' and is_in_uplift and has_conversion) as control_converters,
        coalesce(sum(new_money_amount) filter (where list_group_code = 'T'), 0) as target_new_money,
        coalesce(sum(new_money_amount * new_money_amount) filter (where list_group_code = 'T'), 0)
            as target_new_money_sq,
        coalesce(sum(new_money_amount) filter (where list_group_code = 'C' and is_in_uplift), 0)
            as control_new_money,
        coalesce(sum(new_money_amount * new_money_amount) filter (where list_group_code = 'C' and is_in_uplift), 0)
            as control_new_money_sq,
        coalesce(sum(new_business_net_contribution) filter (where list_group_code = 'T'), 0) as target_contribution,
        coalesce(sum(new_business_net_contribution * new_business_net_contribution)
            filter (where list_group_code = 'T'), 0) as target_contribution_sq,
        coalesce(sum(new_business_net_contribution) filter (where list_group_code = 'C' and is_in_uplift), 0)
            as control_contribution,
        coalesce(sum(new_business_net_contribution * new_business_net_contribution)
            filter (where list_group_code = 'C' and is_in_uplift), 0) as control_contribution_sq
    from members
    group by grouping sets ((campaign_id), (campaign_id, segment_code), (campaign_id, branch_code))
),

with_cost as (
    select cells.*, c.cost_amount, c.has_control_group
    from cells
    inner join campaigns as c on c.campaign_id = cells.campaign_id
),

costed as (
    {{ allocate_cents('with_cost', 'cost_amount', 'target_members', ['campaign_id', 'breakdown_code'],
                      ['segment_code', 'branch_code']) }}
),

judged as (
    select
        costed.*,
        case
            when not has_control_group then 'NO_CONTROL'
            when target_members < {{ param('campaign_min_group_size') }}
                 or control_in_uplift < {{ param('campaign_min_group_size') }} then 'TOO_SMALL'
            else 'MEASURED'
        end as uplift_status_code,
        {{ uplift_standard_error('target_converters', 'target_converters', 'target_members',
                                 'control_converters', 'control_converters', 'control_in_uplift') }}
            as conversion_se,
        {{ uplift_standard_error('target_new_money', 'target_new_money_sq', 'target_members',
                                 'control_new_money', 'control_new_money_sq', 'control_in_uplift') }}
            as new_money_se,
        {{ uplift_standard_error('target_contribution', 'target_contribution_sq', 'target_members',
                                 'control_contribution', 'control_contribution_sq', 'control_in_uplift') }}
            as contribution_se
    from costed
),

measured as (
    select
        judged.*,
        case when uplift_status_code = 'MEASURED' then cast({{ divide_round(
            'target_converters * control_in_uplift - control_converters * target_members',
            'target_members * control_in_uplift', 6) }} as decimal(9, 6)) end as conversion_uplift,
        case when uplift_status_code = 'MEASURED' then cast({{ divide_round(
            'target_converters * control_in_uplift - control_converters * target_members',
            'control_in_uplift', 2) }} as decimal(18, 2)) end as incremental_conversions,
        case when uplift_status_code = 'MEASURED' then cast({{ divide_round(
            'target_new_money * control_in_uplift - control_new_money * target_members',
            'target_members * control_in_uplift', 2) }} as decimal(18, 2)) end as incremental_aum_per_member,
        case when uplift_status_code = 'MEASURED' then cast({{ divide_round(
            'target_new_money * control_in_uplift - control_new_money * target_members',
            'control_in_uplift', 2) }} as decimal(18, 2)) end as incremental_aum,
        case when uplift_status_code = 'MEASURED' then cast({{ divide_round(
            'target_contribution * control_in_uplift - control_contribution * target_members',
            'target_members * control_in_uplift', 2) }} as decimal(18, 2)) end
            as incremental_net_contribution_per_member,
        case when uplift_status_code = 'MEASURED' then cast({{ divide_round(
            'target_contribution * control_in_uplift - control_contribution * target_members',
            'control_in_uplift', 2) }} as decimal(18, 2)) end as incremental_net_contribution
    from judged
),

final as (
    select
        m.campaign_id,
        c.campaign_name,
        c.objective_name,
        c.product_family_code,
        c.product_family_name,
        c.product_code,
        c.product_name,
        c.channel_name,
        c.starts_on,
        c.ends_on,
        c.window_ends_on,
        c.is_window_closed,
        c.has_control_group,
        m.breakdown_code,
        case m.breakdown_code when 'CAMPAIGN' then '活动合计' when 'SEGMENT' then '按客群' else '按机构' end
            as breakdown_name,
        m.breakdown_code = 'CAMPAIGN' as is_campaign_total,
        m.breakdown_code = 'SEGMENT' as is_segment_breakdown,
        m.breakdown_code = 'BRANCH' as is_branch_breakdown,
        case when m.breakdown_code = 'SEGMENT' then m.segment_code end as segment_code,
        case when m.breakdown_code = 'SEGMENT' then coalesce(t.aum_tier_name_zh, '未知') end as segment_name,
        case when m.breakdown_code = 'BRANCH' then m.branch_code end as branch_code,
        case when m.breakdown_code = 'BRANCH' then coalesce(b.branch_name, '未知') end as branch_name,
        m.target_members,
        m.control_members,
        m.control_contacted,
        m.control_in_uplift,
        m.targets_contacted,
        m.targets_reached,
        m.targets_interested,
        m.target_responders,
        m.target_converters,
        m.control_responders,
        m.control_converters,
        cast({{ divide_round('m.targets_contacted', 'm.target_members', 6) }} as decimal(9, 6)) as contact_rate,
        cast({{ divide_round('m.targets_reached', 'm.target_members', 6) }} as decimal(9, 6)) as reach_rate,
        cast({{ divide_round('m.target_responders', 'm.target_members', 6) }} as decimal(9, 6))
            as target_response_rate,
        cast({{ divide_round('m.control_responders', 'm.control_in_uplift', 6) }} as decimal(9, 6))
            as control_response_rate,
        cast({{ divide_round('m.target_converters', 'm.target_members', 6) }} as decimal(9, 6))
            as target_conversion_rate,
        cast({{ divide_round('m.control_converters', 'm.control_in_uplift', 6) }} as decimal(9, 6))
            as control_conversion_rate,
        cast(m.target_new_money as decimal(18, 2)) as target_new_money,
        cast(m.control_new_money as decimal(18, 2)) as control_new_money,
        cast(m.target_contribution as decimal(18, 2)) as target_net_contribution,
        cast(m.control_contribution as decimal(18, 2)) as control_net_contribution,
        m.uplift_status_code,
        case m.uplift_status_code
            when 'MEASURED' then '可测' when 'NO_CONTROL' then '不可测（无对照组）' else '样本不足'
        end as uplift_status_name,
        m.conversion_uplift,
        cast(round(m.conversion_uplift - {{ param('campaign_uplift_z') }} * m.conversion_se, 6) as decimal(9, 6))
            as conversion_uplift_ci_low,
        cast(round(m.conversion_uplift + {{ param('campaign_uplift_z') }} * m.conversion_se, 6) as decimal(9, 6))
            as conversion_uplift_ci_high,
        m.incremental_conversions,
        m.incremental_aum_per_member,
        cast(round(m.incremental_aum_per_member - {{ param('campaign_uplift_z') }} * m.new_money_se, 2)
             as decimal(18, 2)) as incremental_aum_per_member_ci_low,
        cast(round(m.incremental_aum_per_member + {{ param('campaign_uplift_z') }} * m.new_money_se, 2)
             as decimal(18, 2)) as incremental_aum_per_member_ci_high,
        m.incremental_aum,
        m.incremental_net_contribution_per_member,
        cast(round(m.incremental_net_contribution_per_member - {{ param('campaign_uplift_z') }} * m.contribution_se, 2)
             as decimal(18, 2)) as incremental_net_contribution_per_member_ci_low,
        cast(round(m.incremental_net_contribution_per_member + {{ param('campaign_uplift_z') }} * m.contribution_se, 2)
             as decimal(18, 2)) as incremental_net_contribution_per_member_ci_high,
        m.incremental_net_contribution,
        m.allocated_amount as cost_amount,
        cast(case when m.target_converters > 0
            then {{ divide_round('m.allocated_amount', 'm.target_converters', 2) }} end as decimal(18, 2))
            as cost_per_conversion,
        cast(case when m.incremental_conversions > 0
            then {{ divide_round('m.allocated_amount', 'm.incremental_conversions', 2) }} end as decimal(18, 2))
            as cost_per_acquisition,
        cast(case when m.uplift_status_code = 'MEASURED' and m.allocated_amount > 0
            then {{ divide_round('m.incremental_net_contribution - m.allocated_amount', 'm.allocated_amount', 6) }}
        end as decimal(18, 6)) as roi
    from measured as m
    inner join campaigns as c on c.campaign_id = m.campaign_id
    left join tiers as t on t.aum_tier_code = m.segment_code
    left join branches as b on b.branch_code = m.branch_code
)

select * from final
