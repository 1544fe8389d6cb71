-- Cost centres with the branch and department they belong to, latest delivered version of each.
with source as (
    {{ latest_delivered_rows(ref('base_accounting__cost_centres'), ['cost_centre_code']) }}
),

renamed as (
    select
        cost_centre_code,
        cost_centre_name,
        branch_code,
        department_code,
        {{ decode('department_code', 'accounting.cost_centres.department_code') }} as department_name,
        cost_centre_type_code,
        {{ decode('cost_centre_type_code', 'accounting.cost_centres.cost_centre_type') }} as cost_centre_type_name,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
