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
    sum(f.net_interest_contribution) as net_interest_contribution,
    sum(f.fee_income) as fee_income,
    sum(f.output_vat) as output_vat,
    sum(f.vat_surcharges) as vat_surcharges,
    sum(f.cm1_after_ftp) as cm1_after_ftp,
    sum(f.direct_operating_cost) as direct_operating_cost,
    sum(f.cm2_after_direct_cost) as cm2_after_direct_cost,
    sum(f.indirect_operating_cost) as indirect_operating_cost,
    sum(f.cm3_after_indirect_cost) as cm3_after_indirect_cost,
    sum(f.head_office_overhead) as head_office_overhead,
    sum(f.cm4_after_overhead) as cm4_after_overhead,
    sum(f.allocated_operating_cost) as allocated_operating_cost,
    sum(f.expected_loss) as expected_loss,
    sum(f.credit_cost) as credit_cost,
    sum(f.net_contribution) as net_contribution,
    sum(f.income_tax) as income_tax,
    sum(f.net_contribution_after_tax) as net_contribution_after_tax,
    sum(f.economic_capital) as economic_capital,
    sum(f.capital_charge) as capital_charge,
    sum(f.economic_profit) as economic_profit
from {{ ref('fct_contribution_monthly') }} as f
group by f.month_start, f.branch_code
