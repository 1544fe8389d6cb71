-- Branch hierarchy (机构树): the latest delivered version of every branch.
with source as (
    {{ latest_delivered_rows(ref('base_ref__branches'), ['branch_code']) }}
),

renamed as (
    select
        branch_code,
        branch_name,
        branch_level_code,
        {{ decode('branch_level_code', 'ref.branches.branch_level') }} as branch_level_name,
        parent_branch_code,
        city,
        opened_on,
        closed_on,
        branch_status_code,
        {{ decode('branch_status_code', 'ref.branches.status') }} as branch_status_name,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select
        *,
        _delivered_on = (select max(_delivered_on) from renamed) as is_in_latest_delivery
    from renamed
)

select * from final
