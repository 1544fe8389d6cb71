-- Customer value per party and month: AUM and its tier, the household's AUM, net contribution of the month and of the
-- trailing window, and the Pareto value tier and curve (int_customer_value_monthly, which holds that rule). A change of
-- net contribution on the previous month outside the band of seed anomaly_bands (customer_contribution_change) is
-- flagged.
with months as (
    {{ months_to_build() }}
),

value as (
    select * from {{ ref('int_customer_value_monthly') }}
),

aum as (
    select * from {{ ref('int_customer_aum_monthly') }}
),

households as (
    -- household AUM: the personal customers sharing a household code that month (家庭资产)
    select
        pa.month_start,
        pa.party_id,
        pa.household_code,
        sum(coalesce(a.aum_cny, 0)) over (partition by pa.month_start, pa.household_code) as household_aum_cny,
        count(*) over (partition by pa.month_start, pa.household_code) as household_members
    from {{ ref('int_party_attributes_monthly') }} as pa
    left join {{ ref('int_customer_aum_monthly') }} as a
        on a.month_start = pa.month_start and a.party_id = pa.party_id
    where pa.household_code is not null
),

bands as (
    select * from {{ ref('anomaly_bands') }} where metric = 'customer_contribution_change'
),

final as (
    select
        v.month_start,
        v.party_id,
        {{ month_status('v.month_start') }},
        aum.customer_type_code,
        cast(coalesce(aum.aum_cny, 0) as decimal(18, 2)) as aum_cny,
        aum.aum_tier_code,
        aum_tiers.aum_tier_name_zh,
        h.household_code,
        cast(h.household_aum_cny as decimal(18, 2)) as household_aum_cny,
        cast(h.household_members as integer) as household_members,
        v.net_contribution,
        v.economic_profit,
        v.window_net_contribution,
        v.window_months,
        v.cumulative_share_before,
        v.contribution_rank,
        v.customer_rank_share,
        v.customer_rank_percentile,
        v.percentile_cumulative_share,
        v.value_tier_code,
        tiers.value_tier_name_zh,
        case when v.previous_net_contribution is not null and v.previous_net_contribution <> 0
            then {{ ratio('v.net_contribution - v.previous_net_contribution', 'abs(v.previous_net_contribution)') }}
        end as contribution_change_ratio,
        coalesce(
            v.previous_net_contribution is not null and v.previous_net_contribution <> 0
            and (
                {{ ratio('v.net_contribution - v.previous_net_contribution', 'abs(v.previous_net_contribution)') }}
                    < (select lower_bound from bands)
                or {{ ratio('v.net_contribution - v.previous_net_contribution', 'abs(v.previous_net_contribution)') }}
                    > (select upper_bound from bands)
            ),
            false
        ) as is_contribution_change_anomaly,
        months._max_batch_id
    from value as v
    inner join months on months.month_start = v.month_start
    left join aum on aum.month_start = v.month_start and aum.party_id = v.party_id
    left join households as h on h.month_start = v.month_start and h.party_id = v.party_id
    left join {{ ref('value_tiers') }} as tiers on tiers.value_tier_code = v.value_tier_code
    left join {{ ref('aum_tiers') }} as aum_tiers on aum_tiers.aum_tier_code = aum.aum_tier_code
)

select * from final
