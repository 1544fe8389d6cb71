-- Shared credit and pro-rating lose nothing and invent nothing: per month, the net contribution and economic profit
-- credited to RMs (rpt_rm_performance) equal those of the parties credited (int_rm_credit_monthly) to the cent.
-- Returns the months that do not tie.
with credited as (
    select month_start, sum(credited_net_contribution) as net_contribution, sum(credited_economic_profit) as economic_profit
    from {{ ref('rpt_rm_performance') }}
    group by month_start
),

parties as (
    select v.month_start, sum(v.net_contribution) as net_contribution, sum(v.economic_profit) as economic_profit
    from {{ ref('int_customer_value_monthly') }} as v
    where exists (
        select 1 from {{ ref('int_rm_credit_monthly') }} as c
        where c.month_start = v.month_start and c.party_id = v.party_id
    )
    group by v.month_start
)

select p.month_start, p.net_contribution, c.net_contribution as credited_net_contribution
from parties as p
left join credited as c on c.month_start = p.month_start
where coalesce(c.net_contribution, 0) <> p.net_contribution
   or coalesce(c.economic_profit, 0) <> p.economic_profit
