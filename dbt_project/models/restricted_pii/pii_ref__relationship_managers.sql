-- RESTRICTED: RM names (staff PII).
with latest as (
    select *
    from {{ ref('base_ref__relationship_managers') }}
    qualify row_number() over (partition by rm_id order by {{ latest_delivery_order() }}) = 1
),

final as (
    select
        rm_id,
        rm_name,
        {{ mask_name('rm_name', "'P'") }} as rm_name_masked
    from latest
)

select * from final
