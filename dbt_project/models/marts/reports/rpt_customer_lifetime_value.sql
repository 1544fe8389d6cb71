{{ config(materialized='table', post_hook="{{ record_rebuild_inputs() }}") }}
-- Customer lifetime value (客户终身价值) per party, as of the latest complete month: the rule-based reference
-- (docs/methodology.md, "Customer lifetime value").
--   annual margin  the party's economic profit (net contribution less the capital charge) over the trailing 12
--                  months observed, annualised by days: Σ economic profit × annualisation_days / Σ observed days of
--                  those months (never × 12);
--   retention      yearly probability a customer of the same segment (customer type and AUM tier) stays, from the
--                  attrition observed in that segment over the complete months of the trailing 12:
--                  (1 − attrited party-months / party-months)^12, kept within parameters clv_min/max_retention_rate;
--   CLV            annual margin × Σ_{t=1..H} (retention / (1 + hurdle rate))^t, H = parameter clv_horizon_years:
--                  economic profit is what is left after paying for capital at the hurdle rate, so the same rate
--                  discounts it; 0 for a customer who has left.
-- The annuity factor is a rate (DECIMAL(18,6)); the CLV is money, rounded to the cent.
-- A daily build recomputes it only when a complete month may have changed, else carries it over
-- (macros/rebuild_when_inputs_change.sql).
with as_of as (
    select coalesce(
        (select max(month_start) from {{ ref('int_month_watermarks') }} where is_complete),
        (select max(month_start) from {{ ref('int_month_watermarks') }})
    ) as month_start
),

window_months as (
    select w.month_start, w.is_complete, w.observed_days
    from {{ ref('int_month_watermarks') }} as w
    where w.month_start <= (select month_start from as_of)
      and w.month_start > cast((select month_start from as_of) - interval 12 month as date)
),

contribution as (
    select
        v.party_id,
        count(*) as observed_months,
        sum(w.observed_days) as observed_days,
        sum(v.net_contribution) as trailing_net_contribution,
        sum(v.economic_profit) as trailing_economic_profit
    from {{ ref('int_customer_value_monthly') }} as v
    inner join window_months as w on w.month_start = v.month_start
    group by v.party_id
),

-- the AUM tier of a party-month that has a value tier (a contribution in the trailing window)
valued_parties as (
    select v.month_start, v.party_id, a.aum_tier_code
    from {{ ref('int_customer_value_monthly') }} as v
    left join {{ ref('int_customer_aum_monthly') }} as a on a.month_start = v.month_start and a.party_id = v.party_id
),

latest as (
    select l.*, v.aum_tier_code
    from {{ ref('int_customer_loyalty_monthly') }} as l
    left join valued_parties as v on v.month_start = l.month_start and v.party_id = l.party_id
    where l.month_start = (select month_start from as_of)
),

segment_attrition as (
    select
        l.customer_type_code,
        coalesce(v.aum_tier_code, '-') as aum_tier_code,
        count(*) as party_months,
        count(*) filter (where l.is_attrited_in_month) as attrited
    from {{ ref('int_customer_loyalty_monthly') }} as l
    inner join window_months as w on w.month_start = l.month_start and w.is_complete
    left join valued_parties as v on v.month_start = l.month_start and v.party_id = l.party_id
    group by all
),

retention as (
    select
        customer_type_code,
        aum_tier_code,
        party_months,
        attrited,
        cast(greatest(
            {{ param('clv_min_retention_rate') }},
            least(
                {{ param('clv_max_retention_rate') }},
                cast(pow(1 - {{ ratio('attrited', 'party_months') }}, 12) as decimal(18, 6))
            )
        ) as decimal(9, 6)) as annual_retention_rate
    from segment_attrition
),

horizon as (
    select year_number
    from {{ integer_series('1', 'cast(' ~ param('clv_horizon_years') ~ ' as integer)', 'year_number') }} as s
),

factors as (
    select
        r.customer_type_code,
        r.aum_tier_code,
        r.party_months,
        r.attrited,
        r.annual_retention_rate,
        cast(sum(pow(r.annual_retention_rate / (1 + {{ param('hurdle_rate') }}), h.year_number))
             as decimal(18, 6)) as annuity_factor
    from retention as r
    cross join horizon as h
    group by all
),

margins as (
    select
        c.*,
        {{ divide_round('c.trailing_economic_profit * ' ~ param('annualisation_days'), 'c.observed_days', 2) }}
            as annual_margin
    from contribution as c
),

final as (
    select
        latest.party_id,
        (select month_start from as_of) as as_of_month,
        latest.customer_type_code,
        latest.aum_tier_code,
        latest.customer_status_code,
        latest.tenure_months,
        coalesce(m.observed_months, 0) as observed_months,
        cast(coalesce(m.observed_days, 0) as integer) as observed_days,
        cast(coalesce(m.trailing_net_contribution, 0) as decimal(18, 2)) as trailing_net_contribution,
        cast(coalesce(m.trailing_economic_profit, 0) as decimal(18, 2)) as trailing_economic_profit,
        cast(coalesce(m.annual_margin, 0) as decimal(18, 2)) as annual_margin,
        cast(f.party_months as integer) as segment_party_months,
        cast(f.attrited as integer) as segment_attrited,
        f.annual_retention_rate,
        cast({{ param('hurdle_rate') }} as decimal(9, 6)) as annual_discount_rate,
        f.annuity_factor,
        case when latest.customer_status_code = '9' then cast(0 as decimal(18, 2))
            else {{ round_money('cast(coalesce(m.annual_margin, 0) as ' ~ amount_type(19) ~ ') * cast(coalesce(f.annuity_factor, 0) as decimal(18, 6))') }}
        end as customer_lifetime_value
    from latest
    left join margins as m on m.party_id = latest.party_id
    left join factors as f
        on f.customer_type_code = latest.customer_type_code and f.aum_tier_code = coalesce(latest.aum_tier_code, '-')
)

{% if rebuild_needed() %}
select * from final
{% else %}
{{ carried_over() }}
{% endif %}
