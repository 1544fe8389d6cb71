-- Relationship managers (current version; history in snapshots.snap_ref__relationship_managers), name masked.
with rms as (
    select * from {{ ref('stg_ref__relationship_managers') }}
),

names as (
    select rm_id, rm_name_masked from {{ ref('pii_ref__relationship_managers') }}
),

targets as (
    select * from {{ ref('rm_targets') }}
),

final as (
    select
        rms.rm_id,
        names.rm_name_masked,
        rms.branch_code,
        rms.rm_type_code,
        rms.rm_type_name,
        rms.rm_grade_code,
        rms.rm_grade_name,
        rms.hired_on,
        rms.left_on,
        rms.rm_status_code,
        rms.rm_status_name,
        rms.rm_status_code = 'A' as is_active,
        targets.target_book_aum_cny,
        targets.target_monthly_net_contribution_cny,
        targets.target_new_customers_per_month,
        targets.target_cross_sell_ratio,
        targets.max_monthly_attrition_rate
    from rms
    left join names on names.rm_id = rms.rm_id
    left join targets on targets.rm_type = rms.rm_type_code and targets.rm_grade = rms.rm_grade_code
),

-- the unknown member (macros/unknown_member.sql): the row a fact without this dimension's key points at, its
-- columns in the order of final (a positional union: Spark has no UNION BY NAME)
unknown_member as (
    select
        {{ unknown_key() }} as rm_id,
        {{ unknown_label() }} as rm_name_masked,
        {{ unknown_key() }} as branch_code,
        null as rm_type_code,
        {{ unknown_label() }} as rm_type_name,
        null as rm_grade_code,
        {{ unknown_label() }} as rm_grade_name,
        null as hired_on,
        null as left_on,
        null as rm_status_code,
        {{ unknown_label() }} as rm_status_name,
        false as is_active,
        null as target_book_aum_cny,
        null as target_monthly_net_contribution_cny,
        null as target_new_customers_per_month,
        null as target_cross_sell_ratio,
        null as max_monthly_attrition_rate
)

select * from final
union all
select * from unknown_member
