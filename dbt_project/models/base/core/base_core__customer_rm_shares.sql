-- The raw core.customer_rm_shares rows of LOADED deliveries, renamed and typed: shared credit (分润) of customers
-- served by more than one RM.
with source as (
    select *
    from {{ source('core', 'customer_rm_shares') }}
    where _batch_id in {{ loaded_batches('core') }}
),

renamed as (
    select
        cif_no,
        rm_id,
        rm_role as rm_role_code,
        share_ratio,
        start_date as started_on,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
