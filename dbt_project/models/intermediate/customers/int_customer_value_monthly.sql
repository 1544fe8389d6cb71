-- The Pareto value tier per party and month (the one model holding that rule), on net contribution of the trailing
-- window (parameter value_tier_window_months):
--   customers with a positive window contribution are ranked from the highest; a customer is CORE while the
--   contribution of the customers ranked above it is below 80 % of all positive contribution, KEY below 95 %,
--   ORDINARY after that (cut-offs in seed value_tiers); a negative window contribution is LOSS, zero is ORDINARY.
-- The Pareto curve: every customer of the month ranked by window contribution (highest first, then party id), the
-- rank as a share of the month's customers and as a percentile band 1–100, and per band the share of all positive
-- window contribution brought by the customers of that band and the bands above it (the curve's y at x = band %).
-- Read by the customer value and lifetime value reports.
with months as (
    {{ months_to_build() }}
),

party_months as (
    select
        month_start,
        party_id,
        sum(net_contribution) as net_contribution,
        sum(economic_profit) as economic_profit
    from {{ ref('fct_contribution_monthly') }}
    where party_id is not null
      and {{ since_first_rebuilt_month(
          'month_start', 'months',
          window_months='cast(' ~ param('value_tier_window_months') ~ ' as integer)') }}
    group by month_start, party_id
),

windowed as (
    select
        months.month_start,
        pm.party_id,
        sum(pm.net_contribution) as window_net_contribution,
        sum(case when pm.month_start = months.month_start then pm.net_contribution else 0 end) as net_contribution,
        sum(case when pm.month_start = months.month_start then pm.economic_profit else 0 end) as economic_profit,
        sum(case when pm.month_start = {{ add_months('months.month_start', -1) }}
                 then pm.net_contribution end) as previous_net_contribution,
        count(distinct pm.month_start) as window_months
    from months
    inner join party_months as pm
        on pm.month_start <= months.month_start
       and pm.month_start > {{ add_months('months.month_start', '-cast(' ~ param('value_tier_window_months') ~ ' as integer)') }}
    group by months.month_start, pm.party_id
),

ranked as (
    select
        w.*,
        sum(case when w.window_net_contribution > 0 then w.window_net_contribution else 0 end)
            over (partition by w.month_start) as total_positive_contribution,
        coalesce(
            sum(case when w.window_net_contribution > 0 then w.window_net_contribution else 0 end) over (
                partition by w.month_start
                order by w.window_net_contribution desc, w.party_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as contribution_ranked_above
    from windowed as w
),

shares as (
    select
        r.*,
        case when r.window_net_contribution > 0
            then {{ ratio('r.contribution_ranked_above', 'r.total_positive_contribution') }}
        end as cumulative_share_before
    from ranked as r
),

pareto_ranks as (
    -- same order as the tier ranking; customers without positive contribution follow, best first
    select
        r.month_start,
        r.party_id,
        r.total_positive_contribution,
        row_number() over (
            partition by r.month_start order by r.window_net_contribution desc, r.party_id
        ) as contribution_rank,
        count(*) over (partition by r.month_start) as month_customers,
        sum(case when r.window_net_contribution > 0 then r.window_net_contribution else 0 end) over (
            partition by r.month_start
            order by r.window_net_contribution desc, r.party_id
            rows between unbounded preceding and current row
        ) as contribution_through
    from ranked as r
),

pareto_bands as (
    select
        p.*,
        -- ceiling(100 × rank / customers) in integer arithmetic: band 1 holds the top 1 % of customers
        cast(floor((100 * p.contribution_rank + p.month_customers - 1) / p.month_customers) as integer)
            as customer_rank_percentile
    from pareto_ranks as p
),

pareto as (
    select
        b.month_start,
        b.party_id,
        b.contribution_rank,
        {{ ratio('b.contribution_rank', 'b.month_customers') }} as customer_rank_share,
        b.customer_rank_percentile,
        -- contributions ranked in order are never negative here, so the band's largest running total is the one
        -- through its last customer
        {{ ratio(
            'max(b.contribution_through) over (partition by b.month_start, b.customer_rank_percentile)',
            'b.total_positive_contribution') }} as percentile_cumulative_share
    from pareto_bands as b
),

tiers as (
    select * from {{ ref('value_tiers') }}
),

positive_tiers as (
    select
        s.month_start,
        s.party_id,
        min_by(t.value_tier_code, t.sort_order) as value_tier_code
    from shares as s
    inner join tiers as t
        on t.max_cumulative_share is not null
       -- compared exactly (share × total), not through the rounded share
       and s.contribution_ranked_above < t.max_cumulative_share * s.total_positive_contribution
    where s.window_net_contribution > 0
    group by s.month_start, s.party_id
),

final as (
    select
        s.month_start,
        s.party_id,
        cast(s.net_contribution as decimal(18, 2)) as net_contribution,
        cast(s.economic_profit as decimal(18, 2)) as economic_profit,
        cast(s.previous_net_contribution as decimal(18, 2)) as previous_net_contribution,
        cast(s.window_net_contribution as decimal(18, 2)) as window_net_contribution,
        s.window_months,
        s.cumulative_share_before,
        cast(p.contribution_rank as integer) as contribution_rank,
        p.customer_rank_share,
        p.customer_rank_percentile,
        p.percentile_cumulative_share,
        case
            when s.window_net_contribution < 0
                then (select value_tier_code from tiers where max_cumulative_share is null)
            when s.window_net_contribution = 0 then 'ORDINARY'
            else pt.value_tier_code
        end as value_tier_code,
        months._max_batch_id
    from shares as s
    inner join months on months.month_start = s.month_start
    left join positive_tiers as pt on pt.month_start = s.month_start and pt.party_id = s.party_id
    left join pareto as p on p.month_start = s.month_start and p.party_id = s.party_id
)

select * from final
