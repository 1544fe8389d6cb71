-- The raw ref.branches rows of LOADED deliveries, renamed and typed: the branch hierarchy (机构树).
with source as (
    select *
    from {{ source('ref', 'branches') }}
    where _batch_id in {{ loaded_batches('ref') }}
),

renamed as (
    select
        branch_code,
        branch_name,
        branch_level as branch_level_code,
        parent_branch_code,
        city,
        open_date as opened_on,
        close_date as closed_on,
        status as branch_status_code,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
