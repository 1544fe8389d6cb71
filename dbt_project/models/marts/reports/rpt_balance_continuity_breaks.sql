-- Balance continuity breaks (余额不连续): the account-days of int_balance_continuity_daily whose closing balance differs
-- from the previous closing plus the day's postings by more than parameter balance_continuity_tolerance, each named
-- with its product, branch and currency, what was expected and what was delivered. Empty when every balance is
-- continuous. Checked by tests/integrity/assert_balances_are_continuous.sql (dbt, warn) and the GX check
-- marts.rpt_balance_continuity_breaks.no_breaks (severity in expectations/config.yaml: warning by default).
-- Rebuilt whole each build (a scan of the breaks, which are few): the check rebuilds a month whose watermark did not
-- move when a late or re-dated posting lands in it, and a month-level copy would keep a break that is gone.
{{ config(materialized='table') }}
with breaks as (
    select c.*
    from {{ ref('int_balance_continuity_daily') }} as c
    where c.is_break
),

accounts as (
    select account_id, product_code, product_line_code, branch_code, currency_code
    from {{ ref('int_accounts') }}
)

select
    b.month_start,
    b.account_id,
    b.account_source,
    a.product_code,
    a.product_line_code,
    a.branch_code,
    a.currency_code,
    b.balance_on,
    b.previous_balance_on,
    b.previous_closing_balance,
    b.posted_amount,
    b.expected_closing_balance,
    b.closing_balance,
    b.difference,
    {{ month_status('b.month_start') }},
    b._max_batch_id
from breaks as b
left join accounts as a on a.account_id = b.account_id
