-- The raw ref.ftp_curve rows of LOADED deliveries, renamed and typed: the FTP yield curve by date and tenor.
with source as (
    select *
    from {{ source('ref', 'ftp_curve') }}
    where _batch_id in {{ loaded_batches('ref') }}
),

renamed as (
    select
        curve_date as curve_on,
        tenor as tenor_label,
        cast(term_months as integer) as term_months,
        ftp_rate as base_ftp_rate,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
