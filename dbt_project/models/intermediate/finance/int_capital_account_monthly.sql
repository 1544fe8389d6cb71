-- Capital per credit exposure and month (docs/methodology.md, "Capital"):
--   exposure class  credit cards → CREDIT_CARD; personal loans secured by mortgage → RETAIL_MORTGAGE; other personal
--                   loans → RETAIL_OTHER; corporate loans → CORPORATE;
--   risk weight     of the class, performing or non-performing (seed risk_weights);
--   capital         EAD × risk weight × capital ratio (parameter capital_ratio), rounded to the cent;
--   capital charge  capital × hurdle rate (parameter hurdle_rate) / 12, rounded to the cent (a month with data for
--                   only part of its days carries the share observed days / days in month).
-- Deposits and off-balance products hold no credit-risk capital here.
with risk as (
    select *
    from {{ ref('int_risk_account_monthly') }}
    where {{ months_to_rebuild() }}
),

accounts as (
    select month_start, account_id, customer_type_code from {{ ref('int_account_attributes_monthly') }}
),

classified as (
    select
        risk.month_start,
        risk.account_id,
        risk.exposure_at_default_cny,
        coalesce(risk.is_non_performing, false) as is_non_performing,
        case
            when risk.exposure_source = 'card' then 'CREDIT_CARD'
            when accounts.customer_type_code = 'P' and risk.collateral_type_code = 'M' then 'RETAIL_MORTGAGE'
            when accounts.customer_type_code = 'P' then 'RETAIL_OTHER'
            else 'CORPORATE'
        end as exposure_class,
        risk._max_batch_id
    from risk
    left join accounts on accounts.month_start = risk.month_start and accounts.account_id = risk.account_id
),

weighted as (
    select
        c.*,
        case when c.is_non_performing then rw.non_performing_risk_weight else rw.performing_risk_weight end
            as risk_weight
    from classified as c
    left join {{ ref('risk_weights') }} as rw on rw.exposure_class = c.exposure_class
),

with_capital as (
    select
        w.*,
        {{ round_money('cast(w.exposure_at_default_cny as decimal(38, 2)) * w.risk_weight')
        }} as risk_weighted_assets,
        {{ round_money('cast(w.exposure_at_default_cny as decimal(38, 2)) * w.risk_weight * '
                       ~ param('capital_ratio')) }} as economic_capital
    from weighted as w
),

final as (
    select
        w.month_start,
        w.account_id,
        w.exposure_class,
        w.is_non_performing,
        w.exposure_at_default_cny,
        w.risk_weight,
        w.risk_weighted_assets,
        w.economic_capital,
        cast({{ divide_round('cast(w.economic_capital as decimal(38, 2)) * ' ~ param('hurdle_rate')
                              ~ ' * m.observed_days', '12 * m.days_in_month', 2) }}
            as decimal(18, 2)) as capital_charge,
        w._max_batch_id
    from with_capital as w
    inner join {{ ref('int_month_watermarks') }} as m on m.month_start = w.month_start
)

select * from final
