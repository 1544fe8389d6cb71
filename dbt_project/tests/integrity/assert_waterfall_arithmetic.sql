-- Every row of the contribution fact obeys the waterfall formulas exactly (docs/methodology.md, section 8).
select *
from {{ ref('fct_contribution_monthly') }}
where {{ months_rebuilt_by_this_build('month_start') }}
  and (net_interest_contribution <> interest_income - ftp_charge + ftp_credit - interest_expense
   or cm1_after_ftp <> net_interest_contribution + fee_income - output_vat - vat_surcharges
   or cm2_after_direct_cost <> cm1_after_ftp - direct_operating_cost
   or cm3_after_indirect_cost <> cm2_after_direct_cost - indirect_operating_cost
   or cm4_after_overhead <> cm3_after_indirect_cost - head_office_overhead
   or allocated_operating_cost <> direct_operating_cost + indirect_operating_cost + head_office_overhead
   or net_contribution <> cm4_after_overhead - credit_cost
   or net_contribution_after_tax <> net_contribution - income_tax
   or economic_profit <> net_contribution_after_tax - capital_charge)
