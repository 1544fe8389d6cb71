-- Average daily balance (日均余额) per core account and month. Balances are change-only: a balance holds from its
-- date until the account's next row. The observed days of a month run from the later of the month start and the
-- first core delivery to the earlier of the month end and the latest core delivery (a month in progress is averaged
-- over the days delivered so far). ADB = Σ(balance × days it held) / observed days, rounded to the cent once.
-- The carried-in balance comes from the previous month, whose month end holds a row for every open account.
-- Amounts are converted to CNY at the rate of the last observed day. The overdrawn days and balance-days (Σ of the
-- negative balances as owed amounts × days held) are what overdraft interest is charged on
-- (int_interest_account_monthly).
with core_dates as (
    select min(business_date) as first_on, max(business_date) as last_on
    from {{ ref('stg_audit__deliveries') }}
    where source_system = 'core'
),

months as (
    select
        w.month_start,
        w.max_batch_id as _max_batch_id,
        greatest(w.month_start, core_dates.first_on) as observed_from,
        least(w.month_end, core_dates.last_on) as observed_to
    from {{ ref('int_month_watermarks') }} as w
    cross join core_dates
    where {{ months_to_rebuild('w.month_start') }}
      and greatest(w.month_start, core_dates.first_on) <= least(w.month_end, core_dates.last_on)
),

-- each balance row with the date of the account's next row, found once per row (not once per month it reaches):
-- the window sorts the history once; rows before the first month built (less the carried-in month) cannot reach it
balances as (
    select
        account_no,
        balance_on,
        balance,
        lead(balance_on) over (partition by account_no order by balance_on) as next_balance_on
    from {{ ref('stg_core__balances') }}
    where balance_on >= (select {{ add_months('min(month_start)', -1) }} from months)
),

balance_rows as (
    select
        months.month_start,
        months._max_batch_id,
        months.observed_from,
        months.observed_to,
        b.account_no,
        b.balance_on,
        b.balance,
        b.next_balance_on
    from months
    inner join balances as b
        on b.balance_on >= {{ add_months('months.month_start', -1) }}
       and b.balance_on <= months.observed_to
),

segments as (
    select
        *,
        -- the day the next row replaces this balance (the day after the window when none does)
        least(coalesce(next_balance_on, observed_to + 1), observed_to + 1) as held_until,
        greatest(balance_on, observed_from) as held_from
    from balance_rows
),

per_account as (
    select
        month_start,
        account_no,
        any_value(_max_batch_id) as _max_batch_id,
        any_value(observed_from) as observed_from,
        any_value(observed_to) as observed_to,
        cast({{ days_between('any_value(observed_from)', 'any_value(observed_to)') }} + 1 as integer) as observed_days,
        sum(
            case when held_until > held_from
                then cast(balance as decimal(38, 2)) * cast({{ days_between('held_from', 'held_until') }} as integer)
                else 0
            end
        ) as balance_days,
        max_by(balance, balance_on) as month_end_balance,
        -- the overdrawn part (a negative balance, an overdraft asset): the days and the balance-days it was owed
        cast(sum(case when held_until > held_from and balance < 0 then cast({{ days_between('held_from', 'held_until') }} as integer)
                 else 0 end) as integer) as overdrawn_days,
        sum(
            case when held_until > held_from and balance < 0
                then cast(-balance as decimal(38, 2)) * cast({{ days_between('held_from', 'held_until') }} as integer)
                else 0
            end
        ) as overdrawn_balance_days
    from segments
    group by month_start, account_no
),

accounts as (
    select month_start, account_id, currency_code, opened_on, closed_on
    from {{ ref('int_account_attributes_monthly') }}
    where account_source = 'core'
),

final as (
    select
        p.month_start,
        p.account_no as account_id,
        a.currency_code,
        p.observed_from,
        p.observed_to,
        p.observed_days,
        cast(p.balance_days as decimal(38, 2)) as balance_days,
        cast({{ divide_round('p.balance_days', 'p.observed_days', 2) }} as decimal(18, 2)) as average_daily_balance,
        p.month_end_balance,
        fx.cny_per_unit,
        {{ to_cny(divide_round('p.balance_days', 'p.observed_days', 2), 'fx.cny_per_unit') }}
            as average_daily_balance_cny,
        {{ to_cny('p.month_end_balance', 'fx.cny_per_unit') }} as month_end_balance_cny,
        p.overdrawn_days,
        cast(p.overdrawn_balance_days as decimal(38, 2)) as overdrawn_balance_days,
        p._max_batch_id
    from per_account as p
    inner join accounts as a on a.month_start = p.month_start and a.account_id = p.account_no
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.currency_code = a.currency_code and fx.rate_on = p.observed_to
    -- the account was open at some point of the observed days (closed accounts drop out after their last month)
    where a.opened_on <= p.observed_to
      and (a.closed_on is null or a.closed_on >= p.observed_from)
)

select * from final
