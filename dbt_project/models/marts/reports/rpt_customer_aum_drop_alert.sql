{{ config(materialized='table') }}
-- 客户资产骤降提醒: the customers (parties) whose AUM fell by more than parameter aum_drop_alert_amount from the core
-- business day before to the latest one loaded, with the customer's RM (the RM alert of dashboards/reports/ goes to
-- each RM about their own customers). AUM here is the day's end-of-day balance of the party's core deposit and
-- wealth accounts in CNY (at the day's rate): the daily counterpart of int_customer_aum_monthly's month-end AUM.
-- Only the two days are computed, never a daily history: balances are change-only, and every open account has a row
-- on each month end, so the balance of a day is the account's latest row from the month end before the earlier day.
with core_days as (
    select business_date,
        row_number() over (order by business_date desc) as recency
    from (select distinct business_date from {{ ref('stg_audit__deliveries') }} where source_system = 'core')
),

days as (
    select
        (select business_date from core_days where recency = 1) as latest_on,
        (select business_date from core_days where recency = 2) as previous_on
),

accounts as (
    select account_id, party_id, currency_code, closed_on
    from {{ ref('int_accounts') }}
    where account_source = 'core' and product_line_code in ('DEPOSIT', 'WEALTH') and party_id is not null
),

balance_rows as (
    select b.account_no, b.balance_on, b.balance
    from {{ ref('stg_core__balances') }} as b
    cross join days
    where b.balance_on >= cast(date_trunc('month', days.previous_on) - interval 1 day as date)
      and b.balance_on <= days.latest_on
),

as_of as (
    select days.previous_on as as_of_on from days
    union all
    select days.latest_on from days
),

account_days as (
    -- each account's balance at the end of each of the two days (closed by then: nothing)
    select
        a.as_of_on,
        r.account_no,
        max_by(r.balance, r.balance_on) as balance
    from as_of as a
    inner join balance_rows as r on r.balance_on <= a.as_of_on
    group by a.as_of_on, r.account_no
),

party_days as (
    select
        d.as_of_on,
        acc.party_id,
        sum(
            case when acc.closed_on is not null and acc.closed_on <= d.as_of_on then 0
                else {{ to_cny('d.balance', 'fx.cny_per_unit') }} end
        ) as aum_cny
    from account_days as d
    inner join accounts as acc on acc.account_id = d.account_no
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.rate_on = d.as_of_on and fx.currency_code = acc.currency_code
    group by d.as_of_on, acc.party_id
),

compared as (
    -- a party with nothing on the day before cannot have fallen; one with nothing left on the latest day holds 0
    select
        days.latest_on,
        days.previous_on,
        p.party_id,
        p.aum_cny as aum_previous_cny,
        coalesce(l.aum_cny, 0) as aum_latest_cny
    from days
    inner join party_days as p on p.as_of_on = days.previous_on
    left join party_days as l on l.as_of_on = days.latest_on and l.party_id = p.party_id
),

customers as (
    select party_id, rm_id, home_branch_code, customer_type_code, aum_tier_code
    from {{ ref('dim_customer') }}
    where is_current
),

final as (
    select
        c.latest_on as business_date,
        c.previous_on as previous_business_date,
        c.party_id,
        cu.customer_type_code,
        cu.aum_tier_code,
        coalesce(cu.rm_id, {{ unknown_key() }}) as rm_id,
        coalesce(cu.home_branch_code, {{ unknown_key() }}) as branch_code,
        cast(c.aum_previous_cny as decimal(18, 2)) as aum_previous_cny,
        cast(c.aum_latest_cny as decimal(18, 2)) as aum_latest_cny,
        cast(c.aum_previous_cny - c.aum_latest_cny as decimal(18, 2)) as aum_drop_cny
    from compared as c
    left join customers as cu on cu.party_id = c.party_id
    where c.aum_previous_cny - c.aum_latest_cny > {{ param('aum_drop_alert_amount') }}
)

select * from final
