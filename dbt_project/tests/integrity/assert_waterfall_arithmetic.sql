-- Every row of the contribution fact obeys the waterfall formulas exactly.
select *
from {{ ref('fct_contribution_monthly') }}
where {{ months_rebuilt_by_this_build('month_start') }}
  and (net_interest_contribution <> interest_income - ftp_charge + ftp_credit - interest_expense
   or net_contribution <> net_interest_contribution + fee_income - allocated_operating_cost - credit_cost
   or economic_profit <> net_contribution - capital_charge)
