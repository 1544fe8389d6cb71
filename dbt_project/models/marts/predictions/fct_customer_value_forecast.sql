-- Customer lifetime value forecast (客户终身价值预测): the expected economic profit of the next horizon months, each
-- month weighted by the churn model's probability the customer stays and discounted at the hurdle rate
-- (models/value.py), beside the naive forecast (the last twelve months' average monthly economic profit x the
-- portfolio's expected tenure). A view over what `crmwh build` scored.
with value as (
    select * from {{ ref('base_scoring__value_forecasts') }}
),

scores as (
    select month_start, party_id, risk_decile from {{ ref('base_scoring__churn_scores') }}
),

final as (
    select
        v.month_start,
        v.party_id,
        v.monthly_economic_profit,
        v.horizon_months,
        v.expected_months,
        v.lifetime_value,
        v.naive_value,
        v.churn_probability,
        s.risk_decile,
        v.model_version,
        v.trained_at
    from value as v
    left join scores as s on s.month_start = v.month_start and s.party_id = v.party_id
)

select * from final
