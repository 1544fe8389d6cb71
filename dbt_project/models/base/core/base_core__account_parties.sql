-- The raw core.account_parties rows of LOADED deliveries, renamed and typed: the parties of each account and their
-- role (primary holder, joint holder, authorised user, guarantor).
with source as (
    select *
    from {{ source('core', 'account_parties') }}
    where _batch_id in {{ loaded_batches('core') }}
),

renamed as (
    select
        account_no,
        cif_no,
        party_role as party_role_code,
        valid_from,
        valid_to,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
