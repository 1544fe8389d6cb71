-- FTP yield curve by date and term (every delivered day is kept: matched-maturity FTP prices each account on the
-- curve of its own pricing date).
with source as (
    {{ latest_delivered_rows(ref('base_ref__ftp_curve'), ['curve_on', 'term_months']) }}
),

renamed as (
    select
        curve_on,
        tenor_label,
        term_months,
        base_ftp_rate,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
