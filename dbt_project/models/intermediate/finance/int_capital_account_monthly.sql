-- Capital per credit exposure and month, standardised approach of the capital rules in force from 2024-01-01
-- (商业银行资本管理办法; docs/methodology.md, section 7):
--   exposure class  credit cards → CREDIT_CARD; personal loans secured by a mortgage (抵押) with a collateral value →
--                   RETAIL_MORTGAGE, weighted by loan-to-value band; other personal loans (and mortgages without a
--                   value) → RETAIL_OTHER (regulatory retail); corporate loans → CORPORATE_INVESTMENT_GRADE when the
--                   borrower's internal rating is investment grade (seed corporate_rating_grades), else
--                   CORPORATE_SME when its enterprise size class is medium, small or micro (企业规模 2, 3, 4), else
--                   CORPORATE;
--   loan-to-value   drawn balance on the exposure's last day in the month / appraised collateral value;
--   risk weight     of the class (and LTV band) in seed risk_weights: performing, or non-performing — the lower
--                   non-performing weight when the specific provision (LGD × drawn balance) covers at least the
--                   parameter defaulted_provision_coverage, i.e. when LGD reaches it, else the uncovered weight;
--   capital         average EAD of the month × risk weight × capital ratio (parameter capital_ratio), to the cent;
--   capital charge  capital × hurdle rate (parameter hurdle_rate) × observed days / annualisation_days (365), rounded
--                   to the cent: the month's days of the annual charge (31/365 in March, 28/365 in February, the days
--                   observed for the month in progress), consistent with RAROC annualised by days.
-- Deposits and off-balance products hold no credit-risk capital here.
with risk as (
    select *
    from {{ ref('int_risk_account_monthly') }}
    where {{ months_to_rebuild() }}
),

accounts as (
    select month_start, account_id, customer_type_code, party_id from {{ ref('int_account_attributes_monthly') }}
    where {{ since_first_rebuilt_month('month_start') }}
),

parties as (
    select month_start, party_id, risk_rating_code, enterprise_scale_code
    from {{ ref('int_party_attributes_monthly') }}
    where {{ since_first_rebuilt_month('month_start') }}
),

grades as (
    select * from {{ ref('corporate_rating_grades') }}
),

classified as (
    select
        risk.month_start,
        risk.account_id,
        risk.exposure_at_default_cny,
        risk.loss_given_default,
        coalesce(risk.is_non_performing, false) as is_non_performing,
        case when risk.collateral_value_cny > 0
            then {{ ratio('risk.outstanding_cny', 'risk.collateral_value_cny') }}
        end as loan_to_value,
        case
            when risk.exposure_source = 'card' then 'CREDIT_CARD'
            when accounts.customer_type_code = 'P' and risk.collateral_type_code = 'M'
                 and risk.collateral_value_cny > 0 then 'RETAIL_MORTGAGE'
            when accounts.customer_type_code = 'P' then 'RETAIL_OTHER'
            when coalesce(grades.is_investment_grade, false) then 'CORPORATE_INVESTMENT_GRADE'
            when parties.enterprise_scale_code in ('2', '3', '4') then 'CORPORATE_SME'
            else 'CORPORATE'
        end as exposure_class,
        risk._max_batch_id
    from risk
    left join accounts on accounts.month_start = risk.month_start and accounts.account_id = risk.account_id
    left join parties on parties.month_start = risk.month_start and parties.party_id = accounts.party_id
    left join grades on grades.risk_rating = parties.risk_rating_code
),

weighted as (
    select
        c.*,
        case
            when not c.is_non_performing then rw.performing_risk_weight
            when c.loss_given_default >= {{ param('defaulted_provision_coverage') }} then rw.non_performing_risk_weight
            else rw.non_performing_uncovered_risk_weight
        end as risk_weight
    from classified as c
    left join {{ ref('risk_weights') }} as rw
        on rw.exposure_class = c.exposure_class
       and (rw.ltv_above is null or c.loan_to_value > rw.ltv_above)
       and (rw.ltv_up_to is null or c.loan_to_value <= rw.ltv_up_to)
),

with_capital as (
    select
        w.*,
        {{ round_money('cast(w.exposure_at_default_cny as ' ~ amount_type(18) ~ ') * cast(w.risk_weight as decimal(9, 6))')
        }} as risk_weighted_assets,
        {{ round_money('cast(w.exposure_at_default_cny as ' ~ amount_type(18) ~ ') * cast(w.risk_weight as decimal(9, 6))'
                       ~ ' * cast(' ~ param('capital_ratio') ~ ' as decimal(9, 6))') }} as economic_capital
    from weighted as w
),

final as (
    select
        w.month_start,
        w.account_id,
        w.exposure_class,
        w.is_non_performing,
        w.loan_to_value,
        w.exposure_at_default_cny,
        w.risk_weight,
        w.risk_weighted_assets,
        w.economic_capital,
        cast({{ divide_round('cast(w.economic_capital as ' ~ amount_type(18) ~ ') * cast(' ~ param('hurdle_rate')
                              ~ ' as decimal(9, 6)) * cast(m.observed_days as decimal(5, 0))', param('annualisation_days'), 2) }}
            as decimal(18, 2)) as capital_charge,
        w._max_batch_id
    from with_capital as w
    inner join {{ ref('int_month_watermarks') }} as m on m.month_start = w.month_start
)

select * from final
