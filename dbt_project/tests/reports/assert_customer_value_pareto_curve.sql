-- The Pareto curve of rpt_customer_value, recomputed from the window contributions without window functions:
-- per month the ranks are 1..N in the order of the window contribution, the rank share is rank / N and the
-- percentile band ceiling(100 × rank / N); every band carries one share, the positive contribution of the customers
-- in that band and the bands above it over all positive contribution; the last band reaches 100 %; and no positive
-- customer's share before it exceeds its band's share.
with value as (
    select
        month_start,
        party_id,
        window_net_contribution,
        cumulative_share_before,
        contribution_rank,
        customer_rank_share,
        customer_rank_percentile,
        percentile_cumulative_share
    from {{ ref('rpt_customer_value') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
),

months as (
    select
        month_start,
        count(*) as customers,
        count(distinct contribution_rank) as distinct_ranks,
        min(contribution_rank) as first_rank,
        max(contribution_rank) as last_rank,
        sum(case when window_net_contribution > 0 then window_net_contribution else 0 end) as total_positive
    from value
    group by month_start
),

month_problems as (
    select month_start, cast(null as integer) as band, 'ranks are not 1..N' as problem
    from months
    where distinct_ranks <> customers or first_rank <> 1 or last_rank <> customers
),

customer_problems as (
    select v.month_start, v.customer_rank_percentile as band, 'rank share or band of ' || v.party_id as problem
    from value as v
    inner join months as m on m.month_start = v.month_start
    where v.customer_rank_share is distinct from {{ ratio('v.contribution_rank', 'm.customers') }}
       or v.customer_rank_percentile * m.customers < 100 * v.contribution_rank
       or (v.customer_rank_percentile - 1) * m.customers >= 100 * v.contribution_rank
       or v.percentile_cumulative_share < v.cumulative_share_before
),

order_problems as (
    -- the next rank never has a larger window contribution
    select v.month_start, v.customer_rank_percentile as band, 'rank order at ' || v.party_id as problem
    from value as v
    inner join value as nxt
        on nxt.month_start = v.month_start and nxt.contribution_rank = v.contribution_rank + 1
    where nxt.window_net_contribution > v.window_net_contribution
),

bands as (
    select
        month_start,
        customer_rank_percentile as band,
        count(distinct percentile_cumulative_share) as shares,
        max(percentile_cumulative_share) as share,
        sum(case when window_net_contribution > 0 then window_net_contribution else 0 end) as band_positive
    from value
    group by month_start, customer_rank_percentile
),

through_band as (
    select
        b.month_start,
        b.band,
        b.shares,
        b.share,
        m.total_positive,
        sum(above.band_positive) as through
    from bands as b
    inner join months as m on m.month_start = b.month_start
    inner join bands as above on above.month_start = b.month_start and above.band <= b.band
    group by b.month_start, b.band, b.shares, b.share, m.total_positive
),

band_problems as (
    select month_start, band, 'band share' as problem
    from through_band
    where shares > 1
       or share is distinct from {{ ratio('through', 'total_positive') }}
       or (band = 100 and total_positive > 0 and share <> 1)
)

select * from month_problems
union all
select * from customer_problems
union all
select * from order_problems
union all
select * from band_problems
