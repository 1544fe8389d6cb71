{{ config(materialized='table') }}
-- 经营分析月报: per account branch and closed month, the figures of the monthly management pack beside the same
-- month a year before, the previous month and the year to date. Closed months only (int_month_watermarks.is_complete):
-- the pack never shows a month in progress; is_latest_closed_month marks the month the pack of today is about.
-- is_net_contribution_drop flags a branch whose net contribution fell by more than the share of parameter
-- net_contribution_drop_alert_share on the previous month (the branch alert of dashboards/reports/).
with closed as (
    select month_start from {{ ref('int_month_watermarks') }} where is_complete
),

branch_months as (
    select
        l.month_start,
        l.branch_code,
        l.deposits_adb_cny,
        l.loans_adb_cny,
        l.net_interest_contribution,
        l.fee_income,
        l.net_contribution,
        l.economic_profit
    from {{ ref('int_branch_contribution_monthly') }} as l
    inner join closed on closed.month_start = l.month_start
),

final as (
    select
        b.month_start,
        b.branch_code,
        b.month_start = (select max(month_start) from closed) as is_latest_closed_month,
        b.deposits_adb_cny,
        b.loans_adb_cny,
        b.net_interest_contribution,
        b.fee_income,
        b.net_contribution,
        b.economic_profit,
        -- a branch without a row in a closed previous month contributed nothing then; no closed month, no figure
        case when pc.month_start is not null then coalesce(pm.net_contribution, 0) end as net_contribution_prev_month,
        case when pc.month_start is not null then coalesce(pm.fee_income, 0) end as fee_income_prev_month,
        case when yc.month_start is not null then coalesce(py.net_contribution, 0) end as net_contribution_prev_year,
        sum(b.net_contribution) over (
            partition by b.branch_code, year(b.month_start) order by b.month_start
        ) as net_contribution_ytd,
        coalesce(
            pm.net_contribution > 0
            and pm.net_contribution - b.net_contribution
                > pm.net_contribution * {{ param('net_contribution_drop_alert_share') }},
            false
        ) as is_net_contribution_drop
    from branch_months as b
    left join closed as pc on pc.month_start = cast(b.month_start - interval 1 month as date)
    left join branch_months as pm
        on pm.branch_code = b.branch_code and pm.month_start = cast(b.month_start - interval 1 month as date)
    left join closed as yc on yc.month_start = cast(b.month_start - interval 12 month as date)
    left join branch_months as py
        on py.branch_code = b.branch_code and py.month_start = cast(b.month_start - interval 12 month as date)
)

select * from final
