{{ config(materialized='table') }}
-- One row per month with deliveries: the newest LOADED batch whose business date lies on or before the month end.
-- Month-level incremental models store this number (_max_batch_id) and rebuild a month when it grows.
with deliveries as (
    select batch_id, business_date
    from {{ ref('stg_audit__deliveries') }}
),

months as (
    select distinct {{ month_start('business_date') }} as month_start
    from deliveries
),

bounds as (
    select min(business_date) as first_on, max(business_date) as last_on from deliveries
),

final as (
    select
        months.month_start,
        {{ month_end('months.month_start') }} as month_end,
        {{ days_in_month('months.month_start') }} as days_in_month,
        (select max(d.batch_id) from deliveries as d where d.business_date <= {{ month_end('months.month_start') }})
            as max_batch_id,
        (select max(d.business_date) from deliveries as d
         where {{ month_start('d.business_date') }} = months.month_start) as last_business_date,
        (select max(d.business_date) from deliveries as d
         where {{ month_start('d.business_date') }} = months.month_start) = {{ month_end('months.month_start') }}
            as is_complete,
        -- the days of the month the warehouse has data for: monthly flows of a month in progress (or of the first
        -- month, when deliveries start after its first day) cover these days only
        cast(
            {{ days_between('greatest(months.month_start, bounds.first_on)',
                            'least(' ~ month_end('months.month_start') ~ ', bounds.last_on)') }} + 1
            as integer
        ) as observed_days
    from months
    cross join bounds
)

select * from final
