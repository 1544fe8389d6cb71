-- Calendar of every day from the first month with deliveries to the end of the last one.
with bounds as (
    select
        {{ month_start('min(business_date)') }} as first_day,
        {{ month_end('max(business_date)') }} as last_day,
        max(business_date) as last_business_date
    from {{ ref('stg_audit__deliveries') }}
),

days as (
    select cast(generate_series as date) as date_day
    from generate_series((select first_day from bounds), (select last_day from bounds), interval 1 day)
),

delivered as (
    select distinct business_date from {{ ref('stg_audit__deliveries') }}
),

final as (
    select
        days.date_day,
        cast(strftime(days.date_day, '%Y%m%d') as integer) as date_key,
        cast(year(days.date_day) as integer) as year_number,
        cast(quarter(days.date_day) as integer) as quarter_number,
        cast(month(days.date_day) as integer) as month_number,
        strftime(days.date_day, '%Y-%m') as year_month,
        {{ month_start('days.date_day') }} as month_start,
        {{ month_end('days.date_day') }} as month_end,
        {{ days_in_month('days.date_day') }} as days_in_month,
        cast(day(days.date_day) as integer) as day_of_month,
        cast(isodow(days.date_day) as integer) as iso_day_of_week,
        dayname(days.date_day) as day_name,
        cast(weekofyear(days.date_day) as integer) as iso_week_number,
        isodow(days.date_day) in (6, 7) as is_weekend,
        days.date_day = {{ month_end('days.date_day') }} as is_month_end,
        delivered.business_date is not null as has_delivery,
        days.date_day <= (select last_business_date from bounds) as is_in_delivered_range
    from days
    left join delivered on delivered.business_date = days.date_day
),

-- the unknown member (macros/unknown_member.sql): the row a fact without this dimension's key points at
unknown_member as (
    select
        cast({{ unknown_key() }} as integer) as date_key,
        {{ unknown_label() }} as year_month,
        {{ unknown_label() }} as day_name,
        false as is_weekend,
        false as is_month_end,
        false as has_delivery,
        false as is_in_delivered_range
)

select * from final
union all by name
select * from unknown_member
