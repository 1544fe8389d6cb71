-- The management-ledger bridge (利润还原) closes: per month, the lines of fct_profit_bridge_monthly sum to the general
-- ledger's pre-provision profit (income − expense on the interest, fee and operating-expense accounts, read here
-- straight from the ledger), to 0.01 CNY; its customer lines equal Σ net_contribution of the contribution fact; and
-- every month of the ledger has its bridge.
with ledger as (
    select e.month_start, -sum(e.debit_amount_signed) as gl_pre_provision_profit
    from {{ ref('stg_accounting__ledger_entries') }} as e
    inner join {{ ref('stg_accounting__chart_of_accounts') }} as coa on coa.gl_account_code = e.gl_account_code
    where coa.gl_role in ('interest_income', 'interest_expense', 'fee_income', 'fee_expense', 'operating_expense')
      and {{ months_rebuilt_by_this_build('e.month_start') }}
    group by e.month_start
),

bridge as (
    select
        month_start,
        sum(amount) as bridged_profit,
        sum(amount) filter (where line_group = '客户贡献') as customer_contribution
    from {{ ref('fct_profit_bridge_monthly') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
),

contribution as (
    select month_start, sum(net_contribution) as net_contribution
    from {{ ref('fct_contribution_monthly') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
)

select
    coalesce(l.month_start, b.month_start) as month_start,
    l.gl_pre_provision_profit,
    b.bridged_profit,
    b.customer_contribution,
    c.net_contribution
from ledger as l
full outer join bridge as b on b.month_start = l.month_start
left join contribution as c on c.month_start = coalesce(l.month_start, b.month_start)
where b.month_start is null
   or abs(coalesce(l.gl_pre_provision_profit, 0) - b.bridged_profit) >= 0.01
   or b.customer_contribution is distinct from c.net_contribution
