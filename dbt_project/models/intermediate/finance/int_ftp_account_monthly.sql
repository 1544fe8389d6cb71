-- Funds transfer pricing per account and month (the one model holding the FTP rules; docs/methodology.md, "FTP").
--   matched maturity  term products: the curve rate at the account's term (floating rate: its repricing term) on its
--                     pricing date (opening date; floating rate: the latest repricing date on or before the month
--                     start), plus the liquidity premium of its contractual term;
--   behavioural       non-maturity products (demand and savings deposits, cards, revolving credit): a stable core
--                     share priced at a long term and a volatile rest at a short term on the curve of the month start,
--                     shares and terms from seed ftp_behavioural_splits, liquidity premium blended the same way;
--   none              off-balance products (wealth, debit cards): no FTP.
-- A product-level adjustment (seed ftp_adjustments) is added to the rate. The curve of a pricing date is the latest
-- delivered on or before it (the earliest delivered when the date precedes the first curve).
-- FTP amount = ADB(CNY) × FTP rate × days / day-count basis (ACT/360: parameter ftp_day_count_basis), rounded to
-- the cent; a charge for assets, a credit for liabilities.
with months as (
    {{ months_to_build(['days_in_month']) }}
),

balances as (
    select b.month_start, b.account_id, b.average_daily_balance_cny, b.observed_days as ftp_days
    from {{ ref('int_core_account_balances_monthly') }} as b
    inner join months on months.month_start = b.month_start
    union all
    select c.month_start, c.account_id, c.average_daily_balance, months.days_in_month
    from {{ ref('int_card_balances_monthly') }} as c
    inner join months on months.month_start = c.month_start
),

accounts as (
    select * from {{ ref('int_account_attributes_monthly') }}
),

curve_dates as (
    select distinct curve_on from {{ ref('int_ftp_curve_terms') }}
),

priced as (
    select
        b.month_start,
        b.account_id,
        b.average_daily_balance_cny,
        b.ftp_days,
        a.balance_side_code,
        a.product_line_code,
        a.customer_type_code,
        a.term_months,
        case
            when a.balance_side_code = 'O' then 'none'
            when a.is_term_product and coalesce(a.term_months, 0) > 0 then 'matched_maturity'
            when splits.product_line is not null then 'behavioural'
            else 'unpriced'
        end as ftp_method,
        case
            when a.is_term_product and a.rate_type_code = 'V' and coalesce(a.repricing_months, 0) > 0
                then a.repricing_months
            else a.term_months
        end as matched_term_months,
        case
            when a.is_term_product and a.rate_type_code = 'V' and coalesce(a.repricing_months, 0) > 0
                then {{ last_repricing_on('a.opened_on', 'a.repricing_months', 'b.month_start') }}
            else a.opened_on
        end as matched_pricing_on,
        splits.core_share,
        splits.core_term_months,
        splits.volatile_term_months,
        coalesce(adj.adjustment_rate, 0) as adjustment_rate
    from balances as b
    inner join accounts as a on a.month_start = b.month_start and a.account_id = b.account_id
    left join {{ ref('ftp_behavioural_splits') }} as splits
        on splits.product_line = a.product_line_code and splits.customer_type = a.customer_type_code
    left join {{ ref('ftp_adjustments') }} as adj
        on adj.product_line = a.product_line_code and adj.customer_type = a.customer_type_code
),

with_pricing_date as (
    select
        priced.*,
        case when ftp_method = 'matched_maturity' then matched_pricing_on else month_start end as pricing_on
    from priced
),

with_curve_date as (
    select
        p.*,
        coalesce(cd.curve_on, (select min(curve_on) from curve_dates)) as curve_on
    from with_pricing_date as p
    asof left join curve_dates as cd on p.pricing_on >= cd.curve_on
),

rated as (
    select
        p.*,
        case p.ftp_method
            when 'matched_maturity' then mm.base_ftp_rate
            when 'behavioural' then
                cast(p.core_share * core_point.base_ftp_rate
                     + (1 - p.core_share) * volatile_point.base_ftp_rate as decimal(18, 12))
        end as base_rate_exact,
        case p.ftp_method
            when 'matched_maturity' then mm_lp.liquidity_premium
            when 'behavioural' then
                cast(p.core_share * core_lp.liquidity_premium
                     + (1 - p.core_share) * volatile_lp.liquidity_premium as decimal(18, 12))
        end as liquidity_premium_exact
    from with_curve_date as p
    left join {{ ref('int_ftp_curve_terms') }} as mm
        on p.ftp_method = 'matched_maturity' and mm.curve_on = p.curve_on and mm.term_months = p.matched_term_months
    left join {{ ref('int_ftp_curve_terms') }} as core_point
        on p.ftp_method = 'behavioural' and core_point.curve_on = p.curve_on
       and core_point.term_months = p.core_term_months
    left join {{ ref('int_ftp_curve_terms') }} as volatile_point
        on p.ftp_method = 'behavioural' and volatile_point.curve_on = p.curve_on
       and volatile_point.term_months = p.volatile_term_months
    left join {{ ref('ftp_liquidity_premiums') }} as mm_lp
        on p.ftp_method = 'matched_maturity'
       and p.term_months >= mm_lp.min_term_months and p.term_months < mm_lp.max_term_months
    left join {{ ref('ftp_liquidity_premiums') }} as core_lp
        on p.ftp_method = 'behavioural'
       and p.core_term_months >= core_lp.min_term_months and p.core_term_months < core_lp.max_term_months
    left join {{ ref('ftp_liquidity_premiums') }} as volatile_lp
        on p.ftp_method = 'behavioural'
       and p.volatile_term_months >= volatile_lp.min_term_months
       and p.volatile_term_months < volatile_lp.max_term_months
),

final_rates as (
    select
        *,
        cast(round(base_rate_exact, 6) as decimal(9, 6)) as base_rate,
        cast(round(liquidity_premium_exact, 6) as decimal(9, 6)) as liquidity_premium,
        case when ftp_method in ('matched_maturity', 'behavioural')
            then cast(round(base_rate_exact, 6) + round(liquidity_premium_exact, 6) + adjustment_rate as decimal(9, 6))
            else cast(0 as decimal(9, 6))
        end as ftp_rate
    from rated
),

final as (
    select
        r.month_start,
        r.account_id,
        r.ftp_method,
        case when r.ftp_method in ('matched_maturity', 'behavioural') then r.pricing_on end as pricing_on,
        case when r.ftp_method in ('matched_maturity', 'behavioural') then r.curve_on end as curve_on,
        case when r.ftp_method = 'matched_maturity' then r.matched_term_months end as pricing_term_months,
        r.base_rate,
        r.liquidity_premium,
        case when r.ftp_method in ('matched_maturity', 'behavioural') then r.adjustment_rate end as adjustment_rate,
        r.ftp_rate,
        r.average_daily_balance_cny,
        r.ftp_days,
        cast(
            {{ divide_round(
                'cast(r.average_daily_balance_cny as decimal(38, 2)) * r.ftp_rate * r.ftp_days',
                param('ftp_day_count_basis'), 2) }}
            as decimal(18, 2)
        ) as ftp_amount,
        r.balance_side_code,
        months._max_batch_id
    from final_rates as r
    inner join months on months.month_start = r.month_start
)

select
    month_start,
    account_id,
    ftp_method,
    pricing_on,
    curve_on,
    pricing_term_months,
    base_rate,
    liquidity_premium,
    adjustment_rate,
    ftp_rate,
    average_daily_balance_cny,
    ftp_days,
    ftp_amount,
    -- Funds used are charged and funds provided are credited, whatever the product's side: an overpaid credit card
    -- (a negative asset balance) provides funds and earns a credit; an overdrawn deposit uses funds and is charged.
    greatest(funds_used_amount, 0) as ftp_charge,
    greatest(-funds_used_amount, 0) as ftp_credit,
    _max_batch_id
from (
    select
        *,
        case balance_side_code
            when 'A' then ftp_amount
            when 'L' then -ftp_amount
            else cast(0 as decimal(18, 2))
        end as funds_used_amount
    from final
) as signed
