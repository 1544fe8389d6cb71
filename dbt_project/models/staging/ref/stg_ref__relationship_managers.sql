-- Relationship manager roster, latest delivered version of each RM. The RM's name is PII and lives only in
-- restricted_pii.pii_ref__relationship_managers.
with source as (
    {{ latest_delivered_rows('ref', 'relationship_managers', ['rm_id']) }}
),

renamed as (
    select
        rm_id,
        branch_code,
        rm_type as rm_type_code,
        {{ decode('rm_type', 'ref.relationship_managers.rm_type') }} as rm_type_name,
        rm_grade as rm_grade_code,
        {{ decode('rm_grade', 'ref.relationship_managers.rm_grade') }} as rm_grade_name,
        hire_date as hired_on,
        leave_date as left_on,
        status as rm_status_code,
        {{ decode('status', 'ref.relationship_managers.status') }} as rm_status_name,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
