-- Funds transfer pricing per account and month (the one model holding the FTP rules; docs/methodology.md, "FTP").
--   matched maturity  term products: the curve rate at the account's term (floating rate: its repricing term) on its
--                     pricing date, plus the liquidity premium of its contractual term. The rate is locked at the
--                     pricing date: for a fixed rate the start of the current term (the opening date, or the value
--                     date 起息日 of the last rollover: a renewed deposit is priced again on the curve of its renewal
--                     day); for a floating rate the latest repricing date (opening date + whole repricing periods).
--                     A month in which the pricing date changes (a rollover or repricing on the 20th) is priced day by
--                     day: each pricing period's rate weighted by its days in the month;
--   behavioural       non-maturity products (demand and savings deposits, cards, revolving credit): a stable core
--                     share priced at a long term and a volatile rest at a short term on the curve of the month start,
--                     shares and terms from seed ftp_behavioural_splits, liquidity premium blended the same way;
--   none              off-balance products (wealth, debit cards): no FTP.
-- Curves: each currency is priced on its own curve; the curve of a pricing date is the latest delivered on or before
-- it. Two fallbacks are flagged, never silent: an account in a currency without any curve is priced on the reporting currency's curve
-- (is_curve_currency_fallback), and a pricing date before the currency's first curve takes that first curve
-- (is_curve_date_fallback; the curve history comes with the first delivery of the curve extract).
-- Rate components (each rounded to 6 decimals; ftp_rate = base + liquidity premium + adjustment − reserve cost −
-- deposit insurance):
--   base_rate          the curve rate, converted from the curve's day count to the product's (seed
--                      product_day_counts: deposits and loans ACT/360, cards ACT/365): curve rate × product basis /
--                      curve basis, so that FTP and interest are stated and charged on the same day count;
--   liquidity_premium  seed ftp_liquidity_premiums, stated on the product's day count;
--   adjustment_rate    seed ftp_adjustments (strategic credits and discounts);
--   reserve_cost_rate  deposits only (法定存款准备金): the reserve ratio of the deposit's currency is held at the
--                      central bank at the reserve remuneration rate instead of being worth the FTP rate:
--                      ratio × (base_rate + liquidity_premium − remuneration), CNY deposits at
--                      reserve_requirement_ratio_cny remunerated at reserve_remuneration_rate, foreign-currency ones
--                      at reserve_requirement_ratio_fx unremunerated (parameters; negative when the remuneration
--                      exceeds what the funds are worth);
--   deposit_insurance_rate  deposits only: the deposit-insurance premium (parameter deposit_insurance_premium_rate).
-- The two deposit components lower the deposit's FTP credit and stay with the FTP centre, which bears the reserves
-- and the premium (fct_profit_bridge_monthly shows them as its lines).
-- FTP amount = ADB(CNY) × FTP rate × days / the product's day-count basis, rounded to the cent; a charge for funds
-- used, a credit for funds provided. reserve_cost_amount and deposit_insurance_amount are the same formula on their
-- component alone (signed like the balance, each rounded to the cent): the part of the FTP the centre keeps.
with months as (
    {{ months_to_build(['days_in_month', 'month_end']) }}
),

balances as (
    select
        b.month_start,
        b.account_id,
        b.average_daily_balance_cny,
        b.observed_days as ftp_days,
        b.observed_from,
        b.observed_to
    from {{ ref('int_core_account_balances_monthly') }} as b
    inner join months on months.month_start = b.month_start
    union all
    -- card balances are rebuilt day by day over the statement month
    select c.month_start, c.account_id, c.average_daily_balance, months.days_in_month, c.month_start, months.month_end
    from {{ ref('int_card_balances_monthly') }} as c
    inner join months on months.month_start = c.month_start
),

accounts as (
    select * from {{ ref('int_account_attributes_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

curve_dates as (
    select distinct curve_on, currency_code from {{ ref('int_ftp_curve_terms') }}
),

curve_currencies as (
    select currency_code, min(curve_on) as first_curve_on
    from curve_dates
    group by currency_code
),

priced as (
    select
        b.month_start,
        b.account_id,
        b.average_daily_balance_cny,
        b.ftp_days,
        b.observed_from,
        b.observed_to,
        a.balance_side_code,
        a.product_line_code,
        a.customer_type_code,
        a.currency_code,
        a.opened_on,
        a.term_months,
        a.repricing_months,
        case
            when a.balance_side_code = 'O' then 'none'
            when a.is_term_product and coalesce(a.term_months, 0) > 0 then 'matched_maturity'
            when splits.product_line is not null then 'behavioural'
            else 'unpriced'
        end as ftp_method,
        a.is_term_product and a.rate_type_code = 'V' and coalesce(a.repricing_months, 0) > 0 as is_floating,
        case
            when a.is_term_product and a.rate_type_code = 'V' and coalesce(a.repricing_months, 0) > 0
                then a.repricing_months
            else a.term_months
        end as matched_term_months,
        coalesce(cc.currency_code, {{ reporting_currency() }}) as curve_currency_code,
        cc.currency_code is null as is_curve_currency_fallback,
        splits.core_share,
        splits.core_term_months,
        splits.volatile_term_months,
        coalesce(adj.adjustment_rate, 0) as adjustment_rate,
        -- an overdrawn deposit (negative average balance) is an overdraft asset: no reserves held, nothing insured
        a.product_line_code = 'DEPOSIT' and a.balance_side_code = 'L' and b.average_daily_balance_cny > 0
            as is_deposit,
        dc.day_count_basis
    from balances as b
    inner join accounts as a on a.month_start = b.month_start and a.account_id = b.account_id
    left join curve_currencies as cc on cc.currency_code = a.currency_code
    left join {{ ref('ftp_behavioural_splits') }} as splits
        on splits.product_line = a.product_line_code and splits.customer_type = a.customer_type_code
    left join {{ ref('ftp_adjustments') }} as adj
        on adj.product_line = a.product_line_code and adj.customer_type = a.customer_type_code
    left join {{ ref('product_day_counts') }} as pdc on pdc.product_line = a.product_line_code
    left join {{ ref('day_count_conventions') }} as dc on dc.day_count_code = pdc.day_count_code
),

-- value dates (起息日) an account has had: the start of each of its terms
value_dates as (
    select distinct account_no as account_id, value_on
    from {{ ref('snap_core__accounts') }}
    where value_on is not null
),

pricing_dates as (
    -- fixed rate: the opening date and the value date of every rollover delivered by the month's end
    select month_start, account_id, opened_on as pricing_on
    from priced
    where ftp_method = 'matched_maturity' and not is_floating
    union
    select p.month_start, p.account_id, v.value_on
    from priced as p
    inner join value_dates as v on v.account_id = p.account_id
    where p.ftp_method = 'matched_maturity' and not p.is_floating
      and v.value_on >= p.opened_on and v.value_on <= p.observed_to
    union
    -- floating rate: the repricing dates in force on the first and on the last observed day
    select month_start, account_id, {{ last_repricing_on('opened_on', 'repricing_months', 'observed_from') }}
    from priced
    where ftp_method = 'matched_maturity' and is_floating
    union
    select month_start, account_id, {{ last_repricing_on('opened_on', 'repricing_months', 'observed_to') }}
    from priced
    where ftp_method = 'matched_maturity' and is_floating
    union
    -- non-maturity balances: the curve of the month start
    select month_start, account_id, month_start
    from priced
    where ftp_method = 'behavioural'
),

-- each pricing date holds until the next one; the days of the month it covers weight its rate
pricing_periods as (
    select
        d.month_start,
        d.account_id,
        d.pricing_on,
        greatest(d.pricing_on, p.observed_from) as priced_from,
        least(
            coalesce(cast(lead(d.pricing_on) over w - 1 as date), p.observed_to),
            p.observed_to
        ) as priced_to
    from pricing_dates as d
    inner join priced as p on p.month_start = d.month_start and p.account_id = d.account_id
    window w as (partition by d.month_start, d.account_id order by d.pricing_on)
),

-- the latest curve date on or before each pricing date (in its curve currency): pricing dates and curve dates in one
-- date order per currency, a curve date before a pricing date of the same day, the running latest curve date read
-- at each pricing date
period_curve_dates as (
    select month_start, account_id, pricing_on, curve_on
    from (
        select
            month_start,
            account_id,
            pricing_on,
            is_pricing_date,
            max(curve_on) over (
                partition by currency_code order by on_date, is_pricing_date
                rows between unbounded preceding and current row
            ) as curve_on
        from (
            select pp.month_start, pp.account_id, pp.pricing_on, p.curve_currency_code as currency_code,
                   pp.pricing_on as on_date, 1 as is_pricing_date, cast(null as date) as curve_on
            from pricing_periods as pp
            inner join priced as p on p.month_start = pp.month_start and p.account_id = pp.account_id
            union all
            select cast(null as date), cast(null as string), cast(null as date), currency_code, curve_on, 0, curve_on
            from curve_dates
        ) as dated
    ) as running
    where is_pricing_date = 1
),

periods_with_curve as (
    select
        pp.month_start,
        pp.account_id,
        pp.pricing_on,
        cast({{ dbt.datediff('pp.priced_from', 'pp.priced_to', 'day') }} + 1 as integer) as priced_days,
        p.ftp_method,
        p.curve_currency_code,
        p.matched_term_months,
        p.core_share,
        p.core_term_months,
        p.volatile_term_months,
        p.day_count_basis,
        coalesce(cd.curve_on, cc.first_curve_on) as curve_on,
        cd.curve_on is null as is_curve_date_fallback
    from pricing_periods as pp
    inner join priced as p on p.month_start = pp.month_start and p.account_id = pp.account_id
    left join period_curve_dates as cd
        on cd.month_start = pp.month_start and cd.account_id = pp.account_id and cd.pricing_on = pp.pricing_on
    left join curve_currencies as cc on cc.currency_code = p.curve_currency_code
    where pp.priced_to >= pp.priced_from
),

period_rates as (
    select
        p.*,
        -- the curve rate on the product's day count
        {{ divide_round(
            "case p.ftp_method when 'matched_maturity' then mm.base_ftp_rate
             else cast(p.core_share * core_point.base_ftp_rate
                       + (1 - p.core_share) * volatile_point.base_ftp_rate as decimal(18, 12)) end
             * p.day_count_basis",
            "case p.ftp_method when 'matched_maturity' then mm.day_count_basis else core_point.day_count_basis end",
            6) }} as base_rate
    from periods_with_curve as p
    left join {{ ref('int_ftp_curve_terms') }} as mm
        on p.ftp_method = 'matched_maturity' and mm.curve_on = p.curve_on
       and mm.currency_code = p.curve_currency_code and mm.term_months = p.matched_term_months
    left join {{ ref('int_ftp_curve_terms') }} as core_point
        on p.ftp_method = 'behavioural' and core_point.curve_on = p.curve_on
       and core_point.currency_code = p.curve_currency_code and core_point.term_months = p.core_term_months
    left join {{ ref('int_ftp_curve_terms') }} as volatile_point
        on p.ftp_method = 'behavioural' and volatile_point.curve_on = p.curve_on
       and volatile_point.currency_code = p.curve_currency_code
       and volatile_point.term_months = p.volatile_term_months
),

account_rates as (
    select
        month_start,
        account_id,
        max(pricing_on) as pricing_on,
        max_by(curve_on, pricing_on) as curve_on,
        cast(count(*) as integer) as pricing_periods,
        bool_or(is_curve_date_fallback) as is_curve_date_fallback,
        -- the day-weighted base rate of the month. Most months have one period, whose rate that mean returns exactly
        -- (rate × days / days, the rate already at 6 decimals): taken as it is, the 128-bit division runs on the
        -- months priced in two or more periods only (int_ftp_account_monthly 0.9 of 6.7 CPU s at scale 0.3, issue 12)
        case when count(*) = 1 then max(base_rate)
            else {{ divide_round('sum(base_rate * priced_days)', 'sum(priced_days)', 6) }}
        end as base_rate
    from period_rates
    group by month_start, account_id
),

premiums as (
    select
        p.month_start,
        p.account_id,
        case p.ftp_method
            when 'matched_maturity' then mm_lp.liquidity_premium
            when 'behavioural' then
                cast(round(cast(p.core_share * core_lp.liquidity_premium
                                + (1 - p.core_share) * volatile_lp.liquidity_premium as decimal(18, 12)), 6)
                     as decimal(9, 6))
        end as liquidity_premium
    from priced as p
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
        p.*,
        r.pricing_on,
        r.curve_on,
        r.pricing_periods,
        r.is_curve_date_fallback,
        cast(r.base_rate as decimal(9, 6)) as base_rate,
        lp.liquidity_premium,
        p.ftp_method in ('matched_maturity', 'behavioural') as is_priced,
        case when p.is_deposit then cast(round(
            case when p.currency_code = {{ reporting_currency() }}
                then {{ param('reserve_requirement_ratio_cny') }}
                     * (r.base_rate + lp.liquidity_premium - {{ param('reserve_remuneration_rate') }})
                else {{ param('reserve_requirement_ratio_fx') }} * (r.base_rate + lp.liquidity_premium)
            end, 6) as decimal(9, 6))
            else cast(0 as decimal(9, 6))
        end as reserve_cost_rate,
        case when p.is_deposit then cast({{ param('deposit_insurance_premium_rate') }} as decimal(9, 6))
            else cast(0 as decimal(9, 6))
        end as deposit_insurance_rate
    from priced as p
    left join account_rates as r on r.month_start = p.month_start and r.account_id = p.account_id
    left join premiums as lp on lp.month_start = p.month_start and lp.account_id = p.account_id
),

final as (
    select
        r.month_start,
        r.account_id,
        r.ftp_method,
        r.currency_code,
        case when r.is_priced then r.curve_currency_code end as curve_currency_code,
        case when r.is_priced then r.pricing_on end as pricing_on,
        case when r.is_priced then r.curve_on end as curve_on,
        case when r.ftp_method = 'matched_maturity' then r.matched_term_months end as pricing_term_months,
        case when r.is_priced then r.pricing_periods end as pricing_periods,
        r.is_priced and r.is_curve_currency_fallback as is_curve_currency_fallback,
        r.is_priced and coalesce(r.is_curve_date_fallback, false) as is_curve_date_fallback,
        case when r.is_priced then r.day_count_basis end as day_count_basis,
        r.base_rate,
        r.liquidity_premium,
        case when r.is_priced then r.adjustment_rate end as adjustment_rate,
        case when r.is_priced then r.reserve_cost_rate end as reserve_cost_rate,
        case when r.is_priced then r.deposit_insurance_rate end as deposit_insurance_rate,
        case when r.is_priced
            then cast(r.base_rate + r.liquidity_premium + r.adjustment_rate - r.reserve_cost_rate
                      - r.deposit_insurance_rate as decimal(9, 6))
            else cast(0 as decimal(9, 6))
        end as ftp_rate,
        r.average_daily_balance_cny,
        r.ftp_days,
        r.balance_side_code,
        months._max_batch_id
    from final_rates as r
    inner join months on months.month_start = r.month_start
),

amounts as (
    select
        *,
        cast(
            case when ftp_rate = 0 then 0 else {{ money_rate_days(
                'average_daily_balance_cny', 'ftp_rate', 'ftp_days', 'day_count_basis') }}
            end
            as decimal(18, 2)
        ) as ftp_amount,
        {% for component in ['reserve_cost', 'deposit_insurance'] %}
        cast(
            case when coalesce({{ component }}_rate, 0) = 0 then 0 else {{ money_rate_days(
                'average_daily_balance_cny', component ~ '_rate', 'ftp_days', 'day_count_basis') }}
            end
            as decimal(18, 2)
        ) as {{ component }}_amount{{ ',' if not loop.last }}
        {% endfor %}
    from final
)

select
    month_start,
    account_id,
    ftp_method,
    currency_code,
    curve_currency_code,
    pricing_on,
    curve_on,
    pricing_term_months,
    pricing_periods,
    is_curve_currency_fallback,
    is_curve_date_fallback,
    day_count_basis,
    base_rate,
    liquidity_premium,
    adjustment_rate,
    reserve_cost_rate,
    deposit_insurance_rate,
    ftp_rate,
    average_daily_balance_cny,
    ftp_days,
    ftp_amount,
    reserve_cost_amount,
    deposit_insurance_amount,
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
    from amounts
) as signed
