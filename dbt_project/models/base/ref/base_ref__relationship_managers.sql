-- The raw ref.relationship_managers rows of LOADED deliveries, renamed and typed: the relationship manager roster; PII:
-- the RM's name.
with source as (
    select *
    from {{ source('ref', 'relationship_managers') }}
    where _batch_id in {{ loaded_batches('ref') }}
),

renamed as (
    select
        rm_id,
        rm_name,
        branch_code,
        rm_type as rm_type_code,
        rm_grade as rm_grade_code,
        hire_date as hired_on,
        leave_date as left_on,
        status as rm_status_code,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
