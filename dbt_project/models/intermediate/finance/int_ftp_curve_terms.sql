{{ config(materialized='table') }}
-- The FTP base curve of every delivered curve date and currency at every whole term from 0 (overnight) to the longest
-- delivered point, and at every longer term an account or parameter needs: linear interpolation in months between
-- the delivered tenor points, flat beyond the shortest and the longest point. Rates rounded to 6 decimals, on the
-- curve's own day count (day_count_basis).
with points as (
    select c.curve_on, c.currency_code, c.term_months, c.base_ftp_rate, dc.day_count_basis
    from {{ ref('stg_ref__ftp_curve') }} as c
    left join {{ ref('day_count_conventions') }} as dc on dc.day_count_code = c.day_count_code
),

-- every whole term up to the longest point, and the terms of accounts and parameters beyond it (a 30-year mortgage:
-- flat at the longest point); terms nobody needs beyond the curve are not gridded
terms as (
    select term_months from {{ integer_series('0', '(select max(term_months) from points)', 'term_months') }} as s
    union
    select term_months from {{ ref('int_accounts') }} where term_months is not null
    union
    select repricing_months from {{ ref('int_accounts') }} where repricing_months is not null
    union
    select core_term_months from {{ ref('ftp_behavioural_splits') }}
    union
    select volatile_term_months from {{ ref('ftp_behavioural_splits') }}
),

curves as (
    select curve_on, currency_code, any_value(day_count_basis) as day_count_basis
    from points
    group by curve_on, currency_code
),

grid as (
    select curves.curve_on, curves.currency_code, curves.day_count_basis, terms.term_months
    from curves
    cross join terms
    where terms.term_months >= 0
),

-- the delivered points either side of each term: the longest at or below it and the shortest at or above it
bounds as (
    select
        grid.curve_on,
        grid.currency_code,
        grid.term_months,
        max(case when p.term_months <= grid.term_months then p.term_months end) as lower_term,
        min(case when p.term_months >= grid.term_months then p.term_months end) as upper_term
    from grid
    inner join points as p on p.curve_on = grid.curve_on and p.currency_code = grid.currency_code
    group by grid.curve_on, grid.currency_code, grid.term_months
),

bracketed as (
    select
        grid.curve_on,
        grid.currency_code,
        grid.day_count_basis,
        grid.term_months,
        lower_point.term_months as lower_term,
        lower_point.base_ftp_rate as lower_rate,
        upper_point.term_months as upper_term,
        upper_point.base_ftp_rate as upper_rate
    from grid
    inner join bounds
        on bounds.curve_on = grid.curve_on and bounds.currency_code = grid.currency_code
       and bounds.term_months = grid.term_months
    left join points as lower_point
        on lower_point.curve_on = grid.curve_on and lower_point.currency_code = grid.currency_code
       and lower_point.term_months = bounds.lower_term
    left join points as upper_point
        on upper_point.curve_on = grid.curve_on and upper_point.currency_code = grid.currency_code
       and upper_point.term_months = bounds.upper_term
),

final as (
    select
        curve_on,
        currency_code,
        term_months,
        cast(
            case
                when lower_term is null then upper_rate
                when upper_term is null or upper_term = lower_term then lower_rate
                else lower_rate + {{ divide_round(
                    '(cast(upper_rate as decimal(38, 6)) - lower_rate) * (term_months - lower_term)',
                    'upper_term - lower_term', 6) }}
            end
            as decimal(9, 6)
        ) as base_ftp_rate,
        day_count_basis
    from bracketed
)

select * from final
