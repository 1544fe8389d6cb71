-- The branch league table and the product profitability report add up to the contribution fact, month by month.
with facts as (
    select month_start, sum(net_contribution) as net_contribution, sum(allocated_operating_cost) as cost
    from {{ ref('fct_contribution_monthly') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
),

branches as (
    select month_start, sum(net_contribution) as net_contribution, sum(allocated_operating_cost) as cost
    from {{ ref('rpt_branch_league_table') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
),

products as (
    select month_start, sum(net_contribution) as net_contribution, sum(allocated_operating_cost) as cost
    from {{ ref('rpt_product_profitability') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
)

select f.month_start, f.net_contribution, b.net_contribution as branch_total, p.net_contribution as product_total
from facts as f
left join branches as b on b.month_start = f.month_start
left join products as p on p.month_start = f.month_start
where b.net_contribution is distinct from f.net_contribution
   or p.net_contribution is distinct from f.net_contribution
   or b.cost is distinct from f.cost
   or p.cost is distinct from f.cost
