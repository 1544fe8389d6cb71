-- FTP yield curve by date and term (every delivered day is kept: matched-maturity FTP prices each account on the
-- curve of its own pricing date).
with source as (
    {{ latest_delivered_rows('ref', 'ftp_curve', ['curve_date', 'term_months']) }}
),

renamed as (
    select
        curve_date as curve_on,
        tenor as tenor_label,
        cast(term_months as integer) as term_months,
        ftp_rate as base_ftp_rate,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
