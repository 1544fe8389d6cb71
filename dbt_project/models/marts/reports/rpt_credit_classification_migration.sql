-- Five-category classification migration (五级分类迁徙) per month, branch, class at the previous month end and class
-- at this month end: how many loans moved from each class to each class, with their EAD at both ends.
--   month end    the loans in the last daily snapshot of the month, as they stood then (int_risk_account_monthly:
--                is_outstanding_at_month_end, closing_exposure_at_default_cny; for the month in progress, its latest
--                business date);
--   NEW          from-side code of a loan not in the previous month end's snapshot (disbursed during the month);
--   CLOSED       to-side code of a loan in the previous month end's snapshot but not in this one (repaid, written
--                off or sold);
--   branch       the loan account's branch at this month end (at the previous month end for a CLOSED loan).
-- The warehouse's first month has no previous month end and no migration. Credit cards are not classified by the
-- five categories in the core system (their class follows days past due) and are left out.
with rebuilt_months as (
    {{ months_to_build(['is_complete', 'observed_days']) }}
),

-- the warehouse's first month has no previous month end to migrate from
months as (
    select * from rebuilt_months
    where cast(month_start - interval 1 month as date) in (select month_start from {{ ref('int_month_watermarks') }})
),

loans as (
    select month_start, account_id, five_class_code, closing_exposure_at_default_cny as exposure_at_default_cny
    from {{ ref('int_risk_account_monthly') }}
    where exposure_source = 'loan' and is_outstanding_at_month_end
),

branches as (
    select month_start, account_id, branch_code
    from {{ ref('int_account_attributes_monthly') }}
),

this_month as (
    select
        months.month_start,
        l.account_id,
        l.five_class_code,
        l.exposure_at_default_cny
    from months
    inner join loans as l on l.month_start = months.month_start
),

previous_month as (
    select
        months.month_start,
        l.month_start as previous_month_start,
        l.account_id,
        l.five_class_code,
        l.exposure_at_default_cny
    from months
    inner join loans as l on l.month_start = cast(months.month_start - interval 1 month as date)
),

migrations as (
    select
        coalesce(cur.month_start, prev.month_start) as month_start,
        coalesce(cur.account_id, prev.account_id) as account_id,
        prev.previous_month_start,
        coalesce(prev.five_class_code, 'NEW') as from_classification,
        coalesce(cur.five_class_code, 'CLOSED') as to_classification,
        coalesce(prev.exposure_at_default_cny, 0) as previous_exposure_at_default_cny,
        coalesce(cur.exposure_at_default_cny, 0) as exposure_at_default_cny,
        cur.account_id is null as is_closed
    from this_month as cur
    full outer join previous_month as prev
        on prev.month_start = cur.month_start and prev.account_id = cur.account_id
),

with_branch as (
    select
        m.month_start,
        m.from_classification,
        m.to_classification,
        m.previous_exposure_at_default_cny,
        m.exposure_at_default_cny,
        case when m.is_closed then prev_branch.branch_code else cur_branch.branch_code end as branch_code
    from migrations as m
    left join branches as cur_branch
        on cur_branch.month_start = m.month_start and cur_branch.account_id = m.account_id
    left join branches as prev_branch
        on prev_branch.month_start = m.previous_month_start and prev_branch.account_id = m.account_id
),

classes as (
    select five_class, sort_order from {{ ref('five_class_risk_parameters') }}
),

final as (
    select
        w.month_start,
        w.branch_code,
        w.from_classification,
        w.to_classification,
        -- sortable labels for pivot tables: NEW first, the five classes in order of severity, CLOSED last
        case when w.from_classification = 'NEW' then '0 新增'
             else cast(from_class.sort_order as string) || ' ' || w.from_classification
        end as from_classification_label,
        case when w.to_classification = 'CLOSED' then '9 结清/移出'
             else cast(to_class.sort_order as string) || ' ' || w.to_classification
        end as to_classification_label,
        cast(count(*) as integer) as loans,
        cast(sum(w.previous_exposure_at_default_cny) as decimal(18, 2)) as previous_exposure_at_default_cny,
        cast(sum(w.exposure_at_default_cny) as decimal(18, 2)) as exposure_at_default_cny,
        -- month_status() as columns of the months CTE: Spark takes no correlated subquery beside an aggregate
        months.is_complete as is_month_complete,
        months.observed_days,
        months._max_batch_id
    from with_branch as w
    inner join months on months.month_start = w.month_start
    left join classes as from_class on from_class.five_class = w.from_classification
    left join classes as to_class on to_class.five_class = w.to_classification
    group by
        w.month_start,
        w.branch_code,
        w.from_classification,
        w.to_classification,
        from_class.sort_order,
        to_class.sort_order,
        months.is_complete,
        months.observed_days,
        months._max_batch_id
)

select * from final
