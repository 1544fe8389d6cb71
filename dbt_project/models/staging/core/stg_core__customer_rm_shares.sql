-- Shared-credit agreements (分润) in force: the rows of the latest delivered snapshot (a full extract, so an agreement
-- missing from it has ended). Their history on business dates is snapshots.snap_core__customer_rm_shares.
with source as (
    select *
    from {{ ref('base_core__customer_rm_shares') }}
    where _business_date = (select max(_business_date) from {{ ref('base_core__customer_rm_shares') }})
    qualify row_number() over (partition by cif_no, rm_id order by _batch_id desc, _line_number desc) = 1
),

renamed as (
    select
        cif_no,
        rm_id,
        rm_role_code,
        {{ decode('rm_role_code', 'core.customer_rm_shares.rm_role') }} as rm_role_name,
        share_ratio,
        started_on,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
