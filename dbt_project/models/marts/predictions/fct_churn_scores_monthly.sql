-- 流失预警: each personal customer's probability of attriting within the label horizon after the month end (the churn
-- definition: intermediate/churn/int_churn_events.sql), its risk decile (1 = the riskiest tenth) and the three
-- drivers behind it in words for the RM, with the model version that scored it. A view: the latest scores of
-- `crmwh build`, joined to the customer's AUM and value tier of the month so RMs can pick the valuable ones.
with scores as (
    select * from {{ ref('base_scoring__churn_scores') }}
),

value as (
    select * from {{ ref('base_scoring__value_forecasts') }}
),

aum as (
    select month_start, party_id, aum_cny from {{ ref('int_customer_aum_monthly') }}
),

final as (
    select
        s.month_start,
        s.party_id,
        s.churn_probability,
        s.risk_decile,
        s.reason_1,
        s.reason_2,
        s.reason_3,
        s.reasons,
        coalesce(aum.aum_cny, 0) as aum_cny,
        v.lifetime_value,
        cast(s.churn_probability * coalesce(v.lifetime_value, 0) as decimal(18, 2)) as value_at_risk,
        s.model_version,
        s.trained_at
    from scores as s
    left join value as v on v.month_start = s.month_start and v.party_id = s.party_id
    left join aum on aum.month_start = s.month_start and aum.party_id = s.party_id
)

select * from final
