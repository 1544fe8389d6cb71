-- The raw accounting.cost_centres rows of LOADED deliveries, renamed and typed: cost centres.
with source as (
    select *
    from {{ source('accounting', 'cost_centres') }}
    where _batch_id in {{ loaded_batches('accounting') }}
),

renamed as (
    select
        cost_centre_code,
        cost_centre_name,
        branch_code,
        department_code,
        cost_centre_type as cost_centre_type_code,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
