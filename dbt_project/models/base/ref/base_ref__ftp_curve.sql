-- The raw ref.ftp_curve rows of LOADED deliveries, renamed and typed: the FTP yield curves by date, currency and tenor.
with source as (
    select *
    from {{ source('ref', 'ftp_curve') }}
    where _batch_id in {{ loaded_batches('ref') }}
),

renamed as (
    select
        curve_date as curve_on,
        currency as currency_code,
        tenor as tenor_label,
        cast(term_months as integer) as term_months,
        ftp_rate as base_ftp_rate,
        day_count as day_count_code,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
