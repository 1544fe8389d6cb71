{{ config(materialized='table') }}
-- The CNY rate of every currency for every calendar day from the first rate delivered to the last: a day without a
-- delivered rate uses the latest earlier rate (rates are not delivered for days the source has none).
with rates as (
    select rate_on, currency_code, cny_per_unit
    from {{ ref('stg_ref__exchange_rates') }}
),

-- each delivered rate holds from its day until the currency's next delivered rate
rate_spans as (
    select
        rate_on,
        currency_code,
        cny_per_unit,
        coalesce(lead(rate_on) over (partition by currency_code order by rate_on), {{ open_end_date() }}) as next_rate_on
    from rates
),

calendar as (
    select rate_on
    from {{ day_series('(select min(rate_on) from rates)', '(select max(rate_on) from rates)', 'rate_on') }} as days
),

currencies as (
    select distinct currency_code from rates
),

final as (
    select
        days.rate_on,
        days.currency_code,
        rates.cny_per_unit,
        rates.rate_on as rate_delivered_on
    from (select calendar.rate_on, currencies.currency_code from calendar cross join currencies) as days
    left join rate_spans as rates
        on rates.currency_code = days.currency_code
       and days.rate_on >= rates.rate_on
       and days.rate_on < rates.next_rate_on
)

select * from final
