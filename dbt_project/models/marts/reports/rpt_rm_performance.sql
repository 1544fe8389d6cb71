-- RM performance appraisal (客户经理绩效考核) per RM and month, on credit (考核口径) rather than the month-end book:
-- each party's net contribution, economic profit and AUM are split over the RMs credited with it in proportion to
-- their credited share-days (int_customer_value_monthly, int_customer_aum_monthly; shares and pro-rating by days in
-- int_rm_credit_monthly), exactly to the cent; new customers and cross-sell are counted at the credit share.
-- Each KPI's achievement = credited actual / target of the RM's type and grade (rm_targets; the flow targets, net
-- contribution and new customers, pro rata to the observed days of a month in progress), and
--   performance_score = 100 × Σ_kpi weight × min(max(achievement, 0), cap)   (seed rm_kpi_weights)
-- so 100 means every target met. Ranked within the month among RMs of the same type.
with months as (
    {{ months_to_build(['as_of_on', 'observed_days', 'days_in_month']) }}
),

credit as (
    select c.*
    from {{ ref('int_rm_credit_monthly') }} as c
    inner join months on months.month_start = c.month_start
),

party_measures as (
    select
        c.month_start,
        c.party_id,
        c.rm_id,
        c.credit_share,
        c.credited_share_days,
        c.rms_credited,
        coalesce(v.net_contribution, 0) as party_net_contribution,
        coalesce(v.economic_profit, 0) as party_economic_profit,
        coalesce(a.aum_cny, 0) as party_aum_cny,
        coalesce(e.categories_held, 0) as categories_held,
        coalesce(p.first_opened_on >= c.month_start, false) as is_new_customer
    from credit as c
    left join {{ ref('int_customer_value_monthly') }} as v on v.month_start = c.month_start and v.party_id = c.party_id
    left join {{ ref('int_customer_aum_monthly') }} as a on a.month_start = c.month_start and a.party_id = c.party_id
    left join {{ ref('int_party_engagement_monthly') }} as e
        on e.month_start = c.month_start and e.party_id = c.party_id
    left join {{ ref('int_parties') }} as p on p.party_id = c.party_id
),

net_contribution_split as (
    {{ allocate_cents('party_measures', 'party_net_contribution', 'credited_share_days',
                      ['month_start', 'party_id'], ['rm_id']) }}
),

economic_profit_split as (
    {{ allocate_cents('party_measures', 'party_economic_profit', 'credited_share_days',
                      ['month_start', 'party_id'], ['rm_id']) }}
),

aum_split as (
    {{ allocate_cents('party_measures', 'party_aum_cny', 'credited_share_days', ['month_start', 'party_id'], ['rm_id']) }}
),

credited as (
    select
        n.month_start,
        n.party_id,
        n.rm_id,
        n.credit_share,
        n.rms_credited,
        n.categories_held,
        n.is_new_customer,
        n.allocated_amount as credited_net_contribution,
        ep.allocated_amount as credited_economic_profit,
        au.allocated_amount as credited_aum_cny
    from net_contribution_split as n
    inner join economic_profit_split as ep
        on ep.month_start = n.month_start and ep.party_id = n.party_id and ep.rm_id = n.rm_id
    inner join aum_split as au on au.month_start = n.month_start and au.party_id = n.party_id and au.rm_id = n.rm_id
),

per_rm as (
    select
        month_start,
        rm_id,
        count(*) as credited_customers,
        count(*) filter (where rms_credited > 1) as shared_customers,
        sum(credit_share) as customer_equivalents,
        sum(case when is_new_customer then credit_share else 0 end) as credited_new_customers,
        sum(credited_aum_cny) as credited_aum_cny,
        sum(credited_net_contribution) as credited_net_contribution,
        sum(credited_economic_profit) as credited_economic_profit,
        sum(credit_share * categories_held) as credited_categories
    from credited
    group by month_start, rm_id
),

weights as (
    select
        rm_type,
        max(case when kpi_code = 'AUM' then weight end) as aum_weight,
        max(case when kpi_code = 'AUM' then achievement_cap end) as aum_cap,
        max(case when kpi_code = 'NET_CONTRIBUTION' then weight end) as net_contribution_weight,
        max(case when kpi_code = 'NET_CONTRIBUTION' then achievement_cap end) as net_contribution_cap,
        max(case when kpi_code = 'NEW_CUSTOMERS' then weight end) as new_customers_weight,
        max(case when kpi_code = 'NEW_CUSTOMERS' then achievement_cap end) as new_customers_cap,
        max(case when kpi_code = 'CROSS_SELL' then weight end) as cross_sell_weight,
        max(case when kpi_code = 'CROSS_SELL' then achievement_cap end) as cross_sell_cap
    from {{ ref('rm_kpi_weights') }}
    group by rm_type
),

targeted as (
    select
        r.month_start,
        r.rm_id,
        rm.branch_code,
        rm.rm_type_code,
        rm.rm_grade_code,
        cast(r.credited_customers as integer) as credited_customers,
        cast(r.shared_customers as integer) as shared_customers,
        cast(r.customer_equivalents as decimal(18, 6)) as customer_equivalents,
        cast(r.credited_new_customers as decimal(18, 6)) as credited_new_customers,
        cast(r.credited_aum_cny as decimal(18, 2)) as credited_aum_cny,
        cast(r.credited_net_contribution as decimal(18, 2)) as credited_net_contribution,
        cast(r.credited_economic_profit as decimal(18, 2)) as credited_economic_profit,
        {{ ratio('r.credited_categories', 'r.customer_equivalents') }} as cross_sell_ratio,
        t.target_book_aum_cny,
        cast({{ divide_round('t.target_monthly_net_contribution_cny * months.observed_days', 'months.days_in_month', 2) }}
             as decimal(18, 2)) as target_net_contribution_cny,
        {{ ratio('t.target_new_customers_per_month * months.observed_days', 'months.days_in_month') }}
            as target_new_customers,
        t.target_cross_sell_ratio,
        w.aum_weight,
        w.aum_cap,
        w.net_contribution_weight,
        w.net_contribution_cap,
        w.new_customers_weight,
        w.new_customers_cap,
        w.cross_sell_weight,
        w.cross_sell_cap
    from per_rm as r
    inner join months on months.month_start = r.month_start
    left join {{ ref('snap_ref__relationship_managers') }} as rm
        on rm.rm_id = r.rm_id and months.as_of_on >= rm.valid_from and months.as_of_on < rm.valid_to
    left join {{ ref('rm_targets') }} as t on t.rm_type = rm.rm_type_code and t.rm_grade = rm.rm_grade_code
    left join weights as w on w.rm_type = rm.rm_type_code
),

achieved as (
    select
        t.*,
        {{ ratio('t.credited_aum_cny', 't.target_book_aum_cny') }} as aum_achievement,
        {{ ratio('t.credited_net_contribution', 't.target_net_contribution_cny') }} as net_contribution_achievement,
        {{ ratio('t.credited_new_customers', 't.target_new_customers') }} as new_customers_achievement,
        {{ ratio('t.cross_sell_ratio', 't.target_cross_sell_ratio') }} as cross_sell_achievement
    from targeted as t
),

scored as (
    select
        a.*,
        cast(round(100 * (
            a.aum_weight * least(greatest(coalesce(a.aum_achievement, 0), 0), a.aum_cap)
            + a.net_contribution_weight
                * least(greatest(coalesce(a.net_contribution_achievement, 0), 0), a.net_contribution_cap)
            + a.new_customers_weight
                * least(greatest(coalesce(a.new_customers_achievement, 0), 0), a.new_customers_cap)
            + a.cross_sell_weight * least(greatest(coalesce(a.cross_sell_achievement, 0), 0), a.cross_sell_cap)
        ), 2) as decimal(9, 2)) as performance_score
    from achieved as a
),

final as (
    select
        s.month_start,
        s.rm_id,
        s.branch_code,
        s.rm_type_code,
        s.rm_grade_code,
        s.credited_customers,
        s.shared_customers,
        s.customer_equivalents,
        s.credited_new_customers,
        s.credited_aum_cny,
        s.credited_net_contribution,
        s.credited_economic_profit,
        s.cross_sell_ratio,
        s.target_book_aum_cny,
        s.target_net_contribution_cny,
        s.target_new_customers,
        s.target_cross_sell_ratio,
        s.aum_achievement,
        s.net_contribution_achievement,
        s.new_customers_achievement,
        s.cross_sell_achievement,
        s.performance_score,
        cast(case when s.performance_score is not null then rank() over (
            partition by s.month_start, s.rm_type_code order by s.performance_score desc nulls last
        ) end as integer) as performance_rank,
        {{ month_status('s.month_start') }},
        months._max_batch_id
    from scored as s
    inner join months on months.month_start = s.month_start
)

select * from final
