-- Account-party relationships (账户关系人), the latest delivered version of each (account, party, role): an ended
-- relationship carries its valid_to (exclusive).
with source as (
    {{ latest_delivered_rows(ref('base_core__account_parties'), ['account_no', 'cif_no', 'party_role_code']) }}
),

renamed as (
    select
        account_no,
        cif_no,
        party_role_code,
        {{ decode('party_role_code', 'core.account_parties.party_role') }} as party_role_name,
        valid_from,
        valid_to,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
