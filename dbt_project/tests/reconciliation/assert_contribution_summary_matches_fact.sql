-- The dashboards' contribution summary (rpt_contribution_summary_monthly) holds exactly the account-level fact summed:
-- per month, its accounts, ADB and every waterfall step equal the fact's totals to the cent. Returns the months that
-- differ.
{% set measures = ['average_daily_balance_cny', 'net_interest_contribution', 'fee_income', 'output_vat',
                   'vat_surcharges', 'cm1_after_ftp', 'direct_operating_cost', 'cm2_after_direct_cost',
                   'indirect_operating_cost', 'cm3_after_indirect_cost', 'head_office_overhead', 'cm4_after_overhead',
                   'allocated_operating_cost', 'expected_loss', 'credit_cost', 'net_contribution', 'income_tax',
                   'net_contribution_after_tax', 'economic_capital', 'capital_charge', 'economic_profit'] %}
with fact as (
    select month_start, count(*) as accounts{% for m in measures %}, sum({{ m }}) as {{ m }}{% endfor %}
    from {{ ref('fct_contribution_monthly') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
),

summary as (
    select month_start, sum(accounts) as accounts{% for m in measures %}, sum({{ m }}) as {{ m }}{% endfor %}
    from {{ ref('rpt_contribution_summary_monthly') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
)

select coalesce(f.month_start, s.month_start) as month_start, f.net_contribution as fact, s.net_contribution as summary
from fact as f
full outer join summary as s on s.month_start = f.month_start
where f.month_start is null or s.month_start is null
    or f.accounts <> s.accounts
{%- for m in measures %}
    or f.{{ m }} is distinct from s.{{ m }}
{%- endfor %}
