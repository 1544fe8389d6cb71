-- RESTRICTED: the single customer view's matching. Every core CIF and every card-system customer belongs to the party
-- of its identity (ID type + ID number). Conflict rules (docs/methodology.md, "Single customer view"):
--   1. several core CIFs with one identity are one party; the survivor (golden record) is the CIF not closed, then
--      opened first, then the lowest CIF number, and the party's attributes come from it;
--   2. a card customer whose identity matches a core CIF joins that party; card data never overrides core attributes;
--   3. a card customer whose cards carry several identities takes the identity of its latest delivered card (flagged);
--   4. a name that differs between the core and the card system does not prevent the match (the ID is
--      authoritative) but is flagged;
--   5. a card customer without a core match is a party of its own.
with core_members as (
    select
        'core' as source_system,
        c.cif_no as source_customer_no,
        c.identity_key,
        c.customer_name as member_name,
        c.customer_type_code,
        s.customer_status_code = '9' as is_closed,
        s.opened_on,
        false as has_identity_conflict
    from {{ ref('pii_core__customers') }} as c
    inner join {{ ref('stg_core__customers') }} as s on s.cif_no = c.cif_no
),

card_members as (
    select
        'cards' as source_system,
        card_customer_no as source_customer_no,
        identity_key,
        cardholder_name as member_name,
        'P' as customer_type_code,
        false as is_closed,
        cast(null as date) as opened_on,
        has_identity_conflict
    from {{ ref('pii_cards__cardholders') }}
),

members as (
    select * from core_members
    union all
    select * from card_members
),

ranked as (
    select
        members.*,
        {{ party_id('identity_key') }} as party_id,
        -- core records outrank card records; among core CIFs: open before closed, oldest, lowest number
        row_number() over (
            partition by identity_key
            order by
                case when source_system = 'core' then 0 else 1 end,
                is_closed,
                opened_on nulls last,
                source_customer_no
        ) = 1 as is_survivor
    from members
),

final as (
    select
        ranked.source_system,
        ranked.source_customer_no,
        ranked.party_id,
        ranked.identity_key,
        ranked.is_survivor,
        ranked.has_identity_conflict,
        -- names compared without spaces and case; a mismatch is reported, never blocking
        upper(replace(ranked.member_name, ' ', '')) <> upper(replace(survivor.member_name, ' ', '')) as has_name_mismatch,
        count(*) over (partition by ranked.identity_key) as party_member_count
    from ranked
    inner join ranked as survivor
        on survivor.identity_key = ranked.identity_key and survivor.is_survivor
)

select * from final
