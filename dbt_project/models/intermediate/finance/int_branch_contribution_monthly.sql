{{ config(materialized='ephemeral') }}
-- Per account branch and month: the contribution waterfall of the accounts booked there, deposits and loans
-- (average daily balance of the DEPOSIT and LOAN product lines), accounts and customers. Read by the branch
-- league table and the monthly management pack; compiled into each (never stored), so a reader's month filter
-- reaches the fact.
select
    f.month_start,
    f.branch_code,
    count(distinct f.account_id) as accounts,
    count(distinct f.party_id) as customers,
    sum(case when f.product_line_code = 'DEPOSIT' then f.average_daily_balance_cny else 0 end) as deposits_adb_cny,
    sum(case when f.product_line_code = 'LOAN' then f.average_daily_balance_cny else 0 end) as loans_adb_cny,
    {{ waterfall_step_sums('f') }}
from {{ ref('fct_contribution_monthly') }} as f
group by f.month_start, f.branch_code
