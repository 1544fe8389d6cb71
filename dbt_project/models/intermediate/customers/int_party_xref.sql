{{ config(materialized='table') }}
-- Single customer view without PII: which party every core CIF and card-system customer belongs to
-- (matching rules in restricted_pii.pii_party_members).
with members as (
    select * from {{ ref('pii_party_members') }}
),

final as (
    select
        source_system,
        source_customer_no,
        party_id,
        is_survivor,
        has_identity_conflict,
        has_name_mismatch,
        party_member_count
    from members
)

select * from final
