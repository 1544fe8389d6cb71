-- The contribution waterfall summed to the grain the dashboards slice it by: month × account source × customer type,
-- segment and AUM tier (the customer version of the fact row) × product × balance side × booking branch × RM. The
-- account-level fact has one row per account and month (millions at scale); a chart over every month of it, with its
-- dimensions joined and unrolled into waterfall steps, took seconds, while the same chart over this roll-up is one
-- small scan (bench/README.md, chart latency). Sums only, never re-derived: every figure is the fact's column summed
-- (tests/reconciliation/assert_contribution_summary_matches_fact.sql).
with months as (
    {{ months_to_build() }}
),

summed as (
    select
        f.month_start,
        f.account_source,
        f.customer_type_code,
        c.customer_type_name,
        c.segment_code,
        c.segment_name,
        c.aum_tier_code,
        c.aum_tier_name_zh,
        f.product_code,
        f.product_line_code,
        f.balance_side_code,
        f.branch_code,
        f.rm_id,
        count(*) as accounts,
        sum(f.average_daily_balance_cny) as average_daily_balance_cny,
        {{ waterfall_step_sums('f') }}
    from {{ ref('fct_contribution_monthly') }} as f
    inner join months on months.month_start = f.month_start
    left join {{ ref('dim_customer') }} as c on c.customer_key = f.customer_key
    group by
        f.month_start, f.account_source, f.customer_type_code, c.customer_type_name, c.segment_code, c.segment_name,
        c.aum_tier_code, c.aum_tier_name_zh, f.product_code, f.product_line_code, f.balance_side_code, f.branch_code,
        f.rm_id
)

select
    s.*,
    {{ month_status('s.month_start') }},
    months._max_batch_id
from summed as s
inner join months on months.month_start = s.month_start
