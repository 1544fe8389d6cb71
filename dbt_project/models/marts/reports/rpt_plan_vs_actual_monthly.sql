{{ config(materialized='table') }}
-- 经营计划完成情况: per outlet, month and measure, the plan (ref.business_plan as in force) beside the actual, the
-- achievement rate and the year to date. The actuals are the figures of the branch league table and the management
-- pack (int_branch_contribution_monthly, the one model deciding them), never derived again: deposits and loans as the
-- month's average daily balance of the DEPOSIT and LOAN product lines, fee income and net contribution as the month's
-- amounts. Every month the warehouse holds, the month in progress included (month_status): for it, a flow target
-- (fee income, net contribution) is compared pro rata over the observed days (plan_to_date_cny); a balance target
-- is an average and is compared as it is. Year to date: flows add up; balances are the average daily balance of the
-- year so far (each month weighted by its observed days, the plan on the same days). A branch, region or bank total is
-- the sum of its outlets' rows (the achievement rates of a total are ratios of the sums, never sums of rates).
with months as (
    select month_start, days_in_month, observed_days, is_complete from {{ ref('int_month_watermarks') }}
),

measures as (
    select * from (values
        ('DEPOSIT_ADB', true), ('LOAN_ADB', true), ('FEE_INCOME', false), ('NET_CONTRIBUTION', false)
    ) as m (plan_measure_code, is_balance_measure)
),

branch_months as (
    select
        c.month_start,
        c.branch_code,
        cast(c.deposits_adb_cny as decimal(18, 2)) as deposits_adb_cny,
        cast(c.loans_adb_cny as decimal(18, 2)) as loans_adb_cny,
        cast(c.fee_income as decimal(18, 2)) as fee_income,
        cast(c.net_contribution as decimal(18, 2)) as net_contribution
    from {{ ref('int_branch_contribution_monthly') }} as c
    inner join months on months.month_start = c.month_start
),

actual as (
    select month_start, branch_code, 'DEPOSIT_ADB' as plan_measure_code, deposits_adb_cny as amount
    from branch_months
    union all
    select month_start, branch_code, 'LOAN_ADB', loans_adb_cny from branch_months
    union all
    select month_start, branch_code, 'FEE_INCOME', fee_income from branch_months
    union all
    select month_start, branch_code, 'NET_CONTRIBUTION', net_contribution from branch_months
),

business_plan as (
    -- read once: the staging view picks the latest delivery of every key, and both uses below need all of them
    select branch_code, plan_month, plan_measure_code, target_amount_cny, plan_version
    from {{ ref('stg_ref__business_plan') }}
),

plan as (
    select p.plan_month as month_start, p.branch_code, p.plan_measure_code, p.target_amount_cny, p.plan_version
    from business_plan as p
    inner join months on months.month_start = p.plan_month
),

full_year as (
    -- the year's target: flows add up over the twelve months, balances average over the year's days
    select
        p.branch_code,
        year(p.plan_month) as plan_year,
        p.plan_measure_code,
        case when m.is_balance_measure
            then {{ divide_round('sum(p.target_amount_cny * ' ~ days_in_month('p.plan_month') ~ ')',
                                 'sum(' ~ days_in_month('p.plan_month') ~ ')') }}
            else sum(p.target_amount_cny)
        end as plan_full_year_cny
    from business_plan as p
    inner join measures as m on m.plan_measure_code = p.plan_measure_code
    group by p.branch_code, year(p.plan_month), p.plan_measure_code, m.is_balance_measure
),

combined as (
    select
        coalesce(p.month_start, a.month_start) as month_start,
        coalesce(p.branch_code, a.branch_code) as branch_code,
        coalesce(p.plan_measure_code, a.plan_measure_code) as plan_measure_code,
        p.plan_version,
        p.target_amount_cny is not null as has_plan,
        coalesce(p.target_amount_cny, 0) as plan_cny,
        coalesce(a.amount, 0) as actual_cny
    from plan as p
    full outer join actual as a
        on a.month_start = p.month_start and a.branch_code = p.branch_code
        and a.plan_measure_code = p.plan_measure_code
),

measured as (
    select
        c.*,
        m.is_balance_measure,
        months.observed_days as month_observed_days,
        cast(case when m.is_balance_measure or months.observed_days = months.days_in_month then c.plan_cny
            else {{ divide_round('c.plan_cny * months.observed_days', 'months.days_in_month') }}
        end as decimal(18, 2)) as plan_to_date_cny
    from combined as c
    inner join measures as m on m.plan_measure_code = c.plan_measure_code
    inner join months on months.month_start = c.month_start
),

year_to_date as (
    select
        *,
        sum(plan_to_date_cny * month_observed_days) over ytd as plan_day_sum,
        sum(actual_cny * month_observed_days) over ytd as actual_day_sum,
        sum(month_observed_days) over ytd as days_so_far,
        sum(plan_to_date_cny) over ytd as plan_sum,
        sum(actual_cny) over ytd as actual_sum
    from measured
    window ytd as (
        partition by branch_code, plan_measure_code, year(month_start) order by month_start
        rows between unbounded preceding and current row
    )
),

final as (
    select
        y.month_start,
        y.branch_code,
        y.plan_measure_code,
        {{ decode('y.plan_measure_code', 'ref.business_plan.measure_code', 'zh') }} as plan_measure_name,
        y.is_balance_measure,
        not y.is_balance_measure as is_flow_measure,
        y.has_plan,
        y.plan_version,
        cast(y.plan_cny as decimal(18, 2)) as plan_cny,
        y.plan_to_date_cny,
        cast(y.actual_cny as decimal(18, 2)) as actual_cny,
        cast(y.actual_cny - y.plan_to_date_cny as decimal(18, 2)) as variance_cny,
        case when y.plan_to_date_cny > 0 then {{ ratio('y.actual_cny', 'y.plan_to_date_cny') }} end
            as achievement_rate,
        cast(case when y.is_balance_measure then {{ divide_round('y.plan_day_sum', 'y.days_so_far') }}
            else y.plan_sum end as decimal(18, 2)) as plan_ytd_cny,
        cast(case when y.is_balance_measure then {{ divide_round('y.actual_day_sum', 'y.days_so_far') }}
            else y.actual_sum end as decimal(18, 2)) as actual_ytd_cny,
        cast(coalesce(f.plan_full_year_cny, 0) as decimal(18, 2)) as plan_full_year_cny,
        y.month_start = (select max(month_start) from months where is_complete) as is_latest_closed_month,
        {{ month_status('y.month_start') }}
    from year_to_date as y
    left join full_year as f
        on f.branch_code = y.branch_code and f.plan_year = year(y.month_start)
        and f.plan_measure_code = y.plan_measure_code
)

select
    *,
    case when plan_ytd_cny > 0 then {{ ratio('actual_ytd_cny', 'plan_ytd_cny') }} end as achievement_rate_ytd
from final
