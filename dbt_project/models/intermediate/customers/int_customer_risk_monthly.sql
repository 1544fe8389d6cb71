-- depends_on: {{ ref('int_month_watermarks') }}
-- Credit risk per party and month (the one model rolling account risk up to the customer): the worst five-category
-- class of the party's loans and cards, the longest days past due, outstanding and EAD, expected loss and capital, the
-- exposure-weighted PD and whether any exposure is non-performing (次级/可疑/损失). Read by the customer risk and
-- corporate customer reports.
with risk as (
    select r.*, a.party_id
    from {{ ref('int_risk_account_monthly') }} as r
    inner join {{ ref('int_accounts') }} as a on a.account_id = r.account_id
    where {{ months_to_rebuild('r.month_start') }}
),

classes as (
    select * from {{ ref('five_class_risk_parameters') }}
),

capital as (
    select month_start, account_id, economic_capital from {{ ref('int_capital_account_monthly') }}
),

per_party as (
    select
        risk.month_start,
        risk.party_id,
        count(*) as credit_exposures,
        count(*) filter (where risk.exposure_source = 'loan') as loans,
        count(*) filter (where risk.exposure_source = 'card') as credit_cards,
        max_by(risk.five_class_code, classes.sort_order) as worst_five_class_code,
        bool_or(coalesce(risk.is_non_performing, false)) as is_non_performing,
        max(risk.days_past_due) as max_days_past_due,
        -- the stock at the month end; EAD, expected loss and capital are the month's (average exposure)
        coalesce(sum(risk.outstanding_cny) filter (where risk.is_outstanding_at_month_end), 0) as outstanding_cny,
        sum(risk.exposure_at_default_cny) as exposure_at_default_cny,
        sum(risk.expected_loss) as expected_loss,
        sum(coalesce(capital.economic_capital, 0)) as economic_capital,
        sum(cast(risk.probability_of_default as decimal(38, 6)) * risk.exposure_at_default_cny) as pd_weighted_ead,
        any_value(risk._max_batch_id) as _max_batch_id
    from risk
    left join classes on classes.five_class = risk.five_class_code
    left join capital on capital.month_start = risk.month_start and capital.account_id = risk.account_id
    group by risk.month_start, risk.party_id
),

final as (
    select
        p.month_start,
        p.party_id,
        p.credit_exposures,
        p.loans,
        p.credit_cards,
        p.worst_five_class_code,
        p.is_non_performing,
        p.max_days_past_due,
        cast(p.outstanding_cny as decimal(18, 2)) as outstanding_cny,
        cast(p.exposure_at_default_cny as decimal(18, 2)) as exposure_at_default_cny,
        cast(p.expected_loss as decimal(18, 2)) as expected_loss,
        cast(p.economic_capital as decimal(18, 2)) as economic_capital,
        case when p.exposure_at_default_cny <> 0
            then {{ ratio('p.pd_weighted_ead', 'p.exposure_at_default_cny') }}
        end as exposure_weighted_pd,
        p._max_batch_id
    from per_party as p
)

select * from final
