-- Per month and cost centre, the operating expense in the general ledger (debits − credits on the operating-expense
-- accounts) equals, to 0.01 CNY:
--   a) what stage 1 allocated to branches plus the residual line (int_cost_allocation_branch_monthly),
--   b) gl_operating_expense and allocated_amount of fct_branch_costs_monthly.
-- And per month, the cost allocated to accounts in fct_contribution_monthly plus the residual lines equals the ledger.
with ledger as (
    select e.month_start, e.cost_centre_code, sum(e.debit_amount_signed) as gl_amount
    from {{ ref('stg_accounting__ledger_entries') }} as e
    inner join {{ ref('stg_accounting__chart_of_accounts') }} as coa on coa.gl_account_code = e.gl_account_code
    where coa.gl_role = 'operating_expense'
      and {{ months_rebuilt_by_this_build('e.month_start') }}
    group by all
),

stage1 as (
    select month_start, cost_centre_code, sum(allocated_amount) as allocated
    from {{ ref('int_cost_allocation_branch_monthly') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by all
),

branch_fact as (
    select month_start, cost_centre_code, sum(gl_operating_expense) as gl_in_fact, sum(allocated_amount) as allocated
    from {{ ref('fct_branch_costs_monthly') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by all
),

per_cost_centre as (
    select
        coalesce(l.month_start, s.month_start, b.month_start) as month_start,
        coalesce(l.cost_centre_code, s.cost_centre_code, b.cost_centre_code) as cost_centre_code,
        coalesce(l.gl_amount, 0) as gl_amount,
        coalesce(s.allocated, 0) as stage1_allocated,
        coalesce(b.gl_in_fact, 0) as fact_gl,
        coalesce(b.allocated, 0) as fact_allocated
    from ledger as l
    full outer join stage1 as s on s.month_start = l.month_start and s.cost_centre_code = l.cost_centre_code
    full outer join branch_fact as b
        on b.month_start = coalesce(l.month_start, s.month_start)
       and b.cost_centre_code = coalesce(l.cost_centre_code, s.cost_centre_code)
),

-- the accounts' allocated cost and the residual lines per month, summed before the join (Spark refuses a correlated
-- scalar subquery beside an aggregate)
account_cost as (
    select month_start, sum(allocated_operating_cost) as allocated
    from {{ ref('fct_contribution_monthly') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
),

residual as (
    select month_start, sum(allocated_amount) as allocated
    from {{ ref('int_cost_allocation_branch_monthly') }}
    where activity_code = 'RESIDUAL'
      and {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
),

per_month as (
    select
        l.month_start,
        l.gl_amount,
        coalesce(a.allocated, 0) + coalesce(r.allocated, 0) as accounts_plus_residual
    from (select month_start, sum(gl_amount) as gl_amount from ledger group by month_start) as l
    left join account_cost as a on a.month_start = l.month_start
    left join residual as r on r.month_start = l.month_start
)

select 'cost centre' as level, month_start, cost_centre_code, gl_amount, stage1_allocated as compared_amount
from per_cost_centre
where abs(gl_amount - stage1_allocated) >= 0.01
   or abs(gl_amount - fact_gl) >= 0.01
   or abs(gl_amount - fact_allocated) >= 0.01
union all
select 'month', month_start, null, gl_amount, accounts_plus_residual
from per_month
where abs(gl_amount - accounts_plus_residual) >= 0.01
