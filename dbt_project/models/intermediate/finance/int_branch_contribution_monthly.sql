-- Per account branch and month: the contribution waterfall of the accounts booked there, deposits and loans
-- (average daily balance of the DEPOSIT and LOAN product lines), accounts and customers. Read by the branch
-- league table, the monthly management pack and 经营计划完成情况 (plan against actual). Stored month by month like
-- the fact it sums: compiled into each of the three it scanned the account-month fact and counted distinct accounts
-- and customers three times a build, every month each day for the two rebuilt whole (bench/README.md).
with months as (
    {{ months_to_build() }}
)

select
    f.month_start,
    f.branch_code,
    count(distinct f.account_id) as accounts,
    count(distinct f.party_id) as customers,
    sum(case when f.product_line_code = 'DEPOSIT' then f.average_daily_balance_cny else 0 end) as deposits_adb_cny,
    sum(case when f.product_line_code = 'LOAN' then f.average_daily_balance_cny else 0 end) as loans_adb_cny,
    {{ waterfall_step_sums('f') }},
    any_value(months._max_batch_id) as _max_batch_id
from {{ ref('fct_contribution_monthly') }} as f
inner join months on months.month_start = f.month_start
group by f.month_start, f.branch_code
