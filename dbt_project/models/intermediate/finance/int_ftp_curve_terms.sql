{{ config(materialized='table') }}
-- The FTP base curve of every delivered curve date at every whole term from 0 (overnight) to the longest term any
-- account or parameter needs: linear interpolation in months between the delivered tenor points, flat beyond the
-- shortest and the longest point. Rates rounded to 6 decimals.
with points as (
    select curve_on, term_months, base_ftp_rate
    from {{ ref('stg_ref__ftp_curve') }}
),

longest_term as (
    select greatest(
        coalesce((select max(greatest(coalesce(term_months, 0), coalesce(repricing_months, 0)))
                  from {{ ref('int_accounts') }}), 0),
        coalesce((select max(greatest(core_term_months, volatile_term_months))
                  from {{ ref('ftp_behavioural_splits') }}), 0),
        (select max(term_months) from points)
    ) as max_term
),

grid as (
    select dates.curve_on, cast(terms.generate_series as integer) as term_months
    from (select distinct curve_on from points) as dates
    cross join generate_series(0, (select max_term from longest_term)) as terms
),

bracketed as (
    select
        grid.curve_on,
        grid.term_months,
        lower_point.term_months as lower_term,
        lower_point.base_ftp_rate as lower_rate,
        upper_point.term_months as upper_term,
        upper_point.base_ftp_rate as upper_rate
    from grid
    asof left join points as lower_point
        on lower_point.curve_on = grid.curve_on and grid.term_months >= lower_point.term_months
    asof left join (select curve_on, -term_months as neg_term, term_months, base_ftp_rate from points) as upper_point
        on upper_point.curve_on = grid.curve_on and -grid.term_months >= upper_point.neg_term
),

final as (
    select
        curve_on,
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
        ) as base_ftp_rate
    from bracketed
)

select * from final
