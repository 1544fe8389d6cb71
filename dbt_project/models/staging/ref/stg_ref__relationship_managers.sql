-- Relationship manager roster, latest delivered version of each RM. The RM's name is PII and lives only in
-- restricted_pii.pii_ref__relationship_managers.
with source as (
    {{ latest_delivered_rows(ref('base_ref__relationship_managers'), ['rm_id']) }}
),

renamed as (
    select
        rm_id,
        branch_code,
        rm_type_code,
        {{ decode('rm_type_code', 'ref.relationship_managers.rm_type') }} as rm_type_name,
        rm_grade_code,
        {{ decode('rm_grade_code', 'ref.relationship_managers.rm_grade') }} as rm_grade_name,
        hired_on,
        left_on,
        rm_status_code,
        {{ decode('rm_status_code', 'ref.relationship_managers.status') }} as rm_status_name,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
