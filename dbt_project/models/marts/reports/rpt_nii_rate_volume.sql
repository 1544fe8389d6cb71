{{ config(materialized='table') }}
-- 量价分析: the month-on-month change of net interest income (interest income − interest expense) per account branch
-- and product line, split into a volume effect and a rate effect, for closed months whose previous month is closed too:
--   volume effect = (ADB this month − ADB last month) × last month's yield (NII / ADB of last month)
--   rate effect   = the rest of the change (this month's ADB × the change of yield, plus the days effect)
-- so the two add up to the change to the cent. A product line new at a branch (no balance last month) is all
-- volume; one that ended is all volume too (last month's yield times the balance lost).
with closed as (
    select month_start from {{ ref('int_month_watermarks') }} where is_complete
),

lines as (
    select
        f.month_start,
        f.branch_code,
        f.product_line_code,
        sum(f.average_daily_balance_cny) as adb_cny,
        sum(f.interest_income - f.interest_expense) as net_interest_income
    from {{ ref('fct_contribution_monthly') }} as f
    inner join closed on closed.month_start = f.month_start
    group by f.month_start, f.branch_code, f.product_line_code
),

pairs as (
    select
        coalesce(cur.month_start, cast(prev.month_start + interval 1 month as date)) as month_start,
        coalesce(cur.branch_code, prev.branch_code) as branch_code,
        coalesce(cur.product_line_code, prev.product_line_code) as product_line_code,
        coalesce(cur.adb_cny, 0) as adb_cny,
        coalesce(prev.adb_cny, 0) as adb_prev_cny,
        coalesce(cur.net_interest_income, 0) as net_interest_income,
        coalesce(prev.net_interest_income, 0) as net_interest_income_prev
    from lines as cur
    full outer join lines as prev
        on prev.branch_code = cur.branch_code
        and prev.product_line_code = cur.product_line_code
        and prev.month_start = cast(cur.month_start - interval 1 month as date)
),

product_lines as (
    select product_line_code, any_value(product_line_name) as product_line_name
    from {{ ref('dim_product') }}
    group by product_line_code
),

final as (
    select
        p.month_start,
        p.branch_code,
        p.product_line_code,
        coalesce(pl.product_line_name, {{ unknown_label() }}) as product_line_name,
        p.month_start = (select max(month_start) from closed) as is_latest_closed_month,
        cast(p.adb_cny as decimal(18, 2)) as adb_cny,
        cast(p.adb_prev_cny as decimal(18, 2)) as adb_prev_cny,
        cast(p.net_interest_income as decimal(18, 2)) as net_interest_income,
        cast(p.net_interest_income_prev as decimal(18, 2)) as net_interest_income_prev,
        cast(p.net_interest_income - p.net_interest_income_prev as decimal(18, 2)) as net_interest_income_change,
        e.volume_effect,
        cast(p.net_interest_income - p.net_interest_income_prev - e.volume_effect as decimal(18, 2)) as rate_effect
    from pairs as p
    -- both months closed: the first month has no previous one, a month in progress is not compared
    inner join closed as c on c.month_start = p.month_start
    inner join closed as pc on pc.month_start = cast(p.month_start - interval 1 month as date)
    left join product_lines as pl on pl.product_line_code = p.product_line_code
    cross join lateral (
        select cast(
            case when p.adb_prev_cny = 0 then p.net_interest_income - p.net_interest_income_prev
            else {{ divide_round('(p.adb_cny - p.adb_prev_cny) * p.net_interest_income_prev', 'p.adb_prev_cny', 2) }}
            end as decimal(18, 2)
        ) as volume_effect
    ) as e
)

select * from final
