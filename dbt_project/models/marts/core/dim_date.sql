-- Calendar of every day from the first month with deliveries to the end of the last one.
with bounds as (
    select
        {{ month_start('min(business_date)') }} as first_day,
        {{ month_end('max(business_date)') }} as last_day,
        max(business_date) as last_business_date
    from {{ ref('stg_audit__deliveries') }}
),

days as (
    select date_day from {{ day_series('(select first_day from bounds)', '(select last_day from bounds)', 'date_day') }} as s
),

-- ISO day of the week (1 Monday .. 7 Sunday) counted from a Monday: the engines number weekdays differently
days_of_week as (
    select
        date_day,
        cast(({{ dbt.datediff("cast('2000-01-03' as date)", 'date_day', 'day') }} % 7 + 7) % 7 + 1 as integer)
            as iso_day_of_week
    from days
),

delivered as (
    select distinct business_date from {{ ref('stg_audit__deliveries') }}
),

final as (
    select
        days.date_day,
        cast(year(days.date_day) * 10000 + month(days.date_day) * 100 + day(days.date_day) as integer) as date_key,
        cast(year(days.date_day) as integer) as year_number,
        cast(quarter(days.date_day) as integer) as quarter_number,
        cast(month(days.date_day) as integer) as month_number,
        cast(year(days.date_day) as string) || '-' || lpad(cast(month(days.date_day) as string), 2, '0') as year_month,
        {{ month_start('days.date_day') }} as month_start,
        {{ month_end('days.date_day') }} as month_end,
        {{ days_in_month('days.date_day') }} as days_in_month,
        cast(day(days.date_day) as integer) as day_of_month,
        days.iso_day_of_week,
        case days.iso_day_of_week
            when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday' when 4 then 'Thursday'
            when 5 then 'Friday' when 6 then 'Saturday' else 'Sunday'
        end as day_name,
        cast(weekofyear(days.date_day) as integer) as iso_week_number,
        days.iso_day_of_week in (6, 7) as is_weekend,
        days.date_day = {{ month_end('days.date_day') }} as is_month_end,
        delivered.business_date is not null as has_delivery,
        days.date_day <= (select last_business_date from bounds) as is_in_delivered_range
    from days_of_week as days
    left join delivered on delivered.business_date = days.date_day
),

-- the unknown member (macros/unknown_member.sql): the row a fact without this dimension's key points at, its
-- columns in the order of final (a positional union: Spark has no UNION BY NAME)
unknown_member as (
    select
        null as date_day,
        cast({{ unknown_key() }} as integer) as date_key,
        null as year_number,
        null as quarter_number,
        null as month_number,
        {{ unknown_label() }} as year_month,
        null as month_start,
        null as month_end,
        null as days_in_month,
        null as day_of_month,
        null as iso_day_of_week,
        {{ unknown_label() }} as day_name,
        null as iso_week_number,
        false as is_weekend,
        false as is_month_end,
        false as has_delivery,
        false as is_in_delivered_range
)

select * from final
union all
select * from unknown_member
