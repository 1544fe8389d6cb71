-- Per month, the interest income and expense in fct_contribution_monthly equal the general ledger's interest
-- accounts (income: credits − debits on the interest_income accounts; expense: debits − credits on the
-- interest_expense accounts), to 0.01 CNY; the overdraft interest the warehouse imputes is left out (the ledger does
-- not book it; the profit bridge shows it as a line of its own).
with ledger as (
    select
        e.month_start,
        sum(case when coa.gl_role = 'interest_income' then -e.debit_amount_signed else 0 end) as gl_interest_income,
        sum(case when coa.gl_role = 'interest_expense' then e.debit_amount_signed else 0 end) as gl_interest_expense
    from {{ ref('stg_accounting__ledger_entries') }} as e
    inner join {{ ref('stg_accounting__chart_of_accounts') }} as coa on coa.gl_account_code = e.gl_account_code
    where coa.gl_role in ('interest_income', 'interest_expense')
      and {{ months_rebuilt_by_this_build('e.month_start') }}
    group by e.month_start
),

contribution as (
    select
        month_start,
        sum(interest_income) as interest_income,
        sum(interest_expense) as interest_expense
    from {{ ref('fct_contribution_monthly') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
),

-- overdraft interest the warehouse imputes (int_interest_account_monthly) is not booked in the ledger
imputed as (
    select month_start, sum(overdraft_interest_income) as overdraft_interest_income
    from {{ ref('int_interest_account_monthly') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
),

compared as (
    select
        coalesce(l.month_start, c.month_start) as month_start,
        coalesce(l.gl_interest_income, 0) as gl_interest_income,
        coalesce(c.interest_income, 0) - coalesce(i.overdraft_interest_income, 0) as interest_income,
        coalesce(l.gl_interest_expense, 0) as gl_interest_expense,
        coalesce(c.interest_expense, 0) as interest_expense
    from ledger as l
    full outer join contribution as c on c.month_start = l.month_start
    left join imputed as i on i.month_start = coalesce(l.month_start, c.month_start)
)

select *
from compared
where abs(gl_interest_income - interest_income) >= 0.01
   or abs(gl_interest_expense - interest_expense) >= 0.01
