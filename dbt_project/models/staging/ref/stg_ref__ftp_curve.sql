-- FTP yield curves by date, currency and term (every delivered day is kept, and the curve history the first delivery
-- carries: matched-maturity FTP prices each account on the curve of its own pricing date), with the day count each
-- rate is quoted on.
with source as (
    {{ latest_delivered_rows(ref('base_ref__ftp_curve'), ['curve_on', 'currency_code', 'term_months']) }}
),

renamed as (
    select
        curve_on,
        currency_code,
        tenor_label,
        term_months,
        base_ftp_rate,
        day_count_code,
        {{ decode('day_count_code', 'ref.ftp_curve.day_count') }} as day_count_name,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
