{{ config(severity='warn') }}
-- Every account-day's closing balance is the previous closing balance plus the day's postings (core accounts daily,
-- cards per statement), within parameter balance_continuity_tolerance: rows are the breaks of
-- rpt_balance_continuity_breaks, naming account, day, expected, actual and difference. A warning, never a dbt error:
-- real source systems carry small breaks (a rounding core, a posting delivered a day late), and publishing is decided
-- by the GX check marts.rpt_balance_continuity_breaks.no_breaks, whose severity expectations/config.yaml sets
-- (balance_continuity_severity: warning by default; critical blocks the publish).
select account_id, account_source, balance_on, previous_closing_balance, posted_amount, expected_closing_balance,
       closing_balance, difference
from {{ ref('rpt_balance_continuity_breaks') }}
where {{ months_rebuilt_by_this_build('month_start') }}
