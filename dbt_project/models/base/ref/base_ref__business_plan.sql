-- The raw ref.business_plan rows of LOADED deliveries, renamed and typed: the monthly targets per outlet (经营计划).
with source as (
    select *
    from {{ source('ref', 'business_plan') }}
    where _batch_id in {{ loaded_batches('ref') }}
),

renamed as (
    select
        branch_code,
        plan_month,
        measure_code as plan_measure_code,
        target_amount as target_amount_cny,
        plan_version,
        approved_date as approved_on,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
