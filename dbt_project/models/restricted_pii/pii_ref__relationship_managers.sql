-- RESTRICTED: RM names (staff PII).
with source as (
    select *
    from {{ source('ref', 'relationship_managers') }}
    where _batch_id in {{ loaded_batches('ref') }}
    qualify row_number() over (partition by rm_id order by {{ latest_delivery_order() }}) = 1
),

final as (
    select
        rm_id,
        rm_name,
        {{ mask_name('rm_name', "'P'") }} as rm_name_masked
    from source
)

select * from final
