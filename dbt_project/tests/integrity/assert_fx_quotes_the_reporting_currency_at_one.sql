-- The FX extract quotes every currency in the bank's reporting currency (bank profile, macro reporting_currency): on every
-- delivered rate date the reporting currency itself is there, at exactly 1. Every *_cny figure is converted with these
-- rates, so a feed quoting another base would silently mis-state every converted amount.
with reporting as (
    select {{ reporting_currency() }} as currency_code
),

rate_days as (
    select distinct rate_on from {{ ref('stg_ref__exchange_rates') }}
),

own_rate as (
    select r.rate_on, r.cny_per_unit
    from {{ ref('stg_ref__exchange_rates') }} as r
    inner join reporting on r.currency_code = reporting.currency_code
)

select
    d.rate_on,
    (select currency_code from reporting) as reporting_currency,
    o.cny_per_unit,
    case when o.rate_on is null then 'reporting currency missing' else 'rate is not 1' end as problem
from rate_days as d
left join own_rate as o on o.rate_on = d.rate_on
where o.rate_on is null or o.cny_per_unit <> 1
