-- The stage-3 provision rolls forward like the allowance account a finance department keeps, and the contribution fact
-- deducts exactly the credit cost worked out:
--   1. each exposure's opening provision is its closing provision of the previous month (the warehouse's first month
--      opens with the provision of its first day), and a provision is never dropped: an exposure that carried one at
--      a month end has a row the next month (which releases or uses it);
--   2. closing = opening + provision charge − written off;
--   3. per month, Σ credit_cost of fct_contribution_monthly = Σ credit_cost of int_credit_cost_account_monthly.
with costs as (
    select * from {{ ref('int_credit_cost_account_monthly') }}
),

rebuilt as (
    select * from costs where {{ months_rebuilt_by_this_build('month_start') }}
),

months as (
    select month_start from {{ ref('int_month_watermarks') }}
),

opening_breaks as (
    select r.month_start, r.account_id, 'opening provision is not the previous closing provision' as failure
    from rebuilt as r
    left join costs as p
        on p.account_id = r.account_id and p.month_start = cast(r.month_start - interval 1 month as date)
    where r.month_start > (select min(month_start) from months)
      and r.opening_provision <> coalesce(p.closing_provision, 0)
),

dropped as (
    select cast(p.month_start + interval 1 month as date) as month_start, p.account_id,
           'a closing provision has no row the next month' as failure
    from costs as p
    inner join months as nxt on nxt.month_start = cast(p.month_start + interval 1 month as date)
    left join costs as r on r.account_id = p.account_id and r.month_start = nxt.month_start
    where p.closing_provision <> 0
      and r.account_id is null
      and {{ months_rebuilt_by_this_build('nxt.month_start') }}
),

identity_breaks as (
    select month_start, account_id, 'closing <> opening + charge − written off' as failure
    from rebuilt
    where closing_provision <> opening_provision + provision_charge - written_off_cny
       or credit_cost <> performing_expected_loss + provision_charge
),

fact as (
    select month_start, sum(credit_cost) as credit_cost
    from {{ ref('fct_contribution_monthly') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
),

computed as (
    select month_start, sum(credit_cost) as credit_cost from rebuilt group by month_start
),

fact_breaks as (
    select coalesce(f.month_start, c.month_start) as month_start, cast(null as string) as account_id,
           'the fact does not deduct the credit cost worked out' as failure
    from fact as f
    full outer join computed as c on c.month_start = f.month_start
    where coalesce(f.credit_cost, 0) <> coalesce(c.credit_cost, 0)
)

select * from opening_breaks
union all
select * from dropped
union all
select * from identity_breaks
union all
select * from fact_breaks
