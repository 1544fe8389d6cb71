{{ config(materialized='table') }}
-- Churn labels: for each complete month end T and each personal customer who had not attrited by T
-- (int_churn_events), whether the customer attrites in the churn_horizon_months months after T. A label is known
-- only when those months are all complete; the others (the last months of the horizon) are what scoring predicts.
with months as (
    select month_start, row_number() over (order by month_start) as month_no
    from {{ ref('int_month_watermarks') }}
    where is_complete
),

last_month as (
    select max(month_no) as month_no from months
),

population as (
    select pa.month_start, pa.party_id
    from {{ ref('int_party_attributes_monthly') }} as pa
    inner join months on months.month_start = pa.month_start
    where pa.customer_type_code = 'P'
),

final as (
    select
        p.month_start,
        p.party_id,
        coalesce(ev.churn_month > p.month_start
                 and ev.churn_month <= {{ add_months('p.month_start', param_int('churn_horizon_months')) }}, false)
            as is_leaver,
        case when ev.churn_month > p.month_start
                  and ev.churn_month <= {{ add_months('p.month_start', param_int('churn_horizon_months')) }}
             then ev.churn_rule end as churn_rule,
        m.month_no + {{ param_int('churn_horizon_months') }} <= (select month_no from last_month) as is_label_known
    from population as p
    inner join months as m on m.month_start = p.month_start
    left join {{ ref('int_churn_events') }} as ev on ev.party_id = p.party_id
    where ev.churn_month is null or ev.churn_month > p.month_start
)

select * from final
