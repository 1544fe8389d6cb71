{{ config(materialized='table') }}
-- Every party of every account with its role (账户关系人; docs/methodology.md, "Account parties"): the primary holder
-- (主户) is the account's owner as the account record names it (core: its cif_no; cards: the cardholder), whatever
-- the account-party extract says; the extract adds joint holders (联名户), authorised users (授权使用人) and
-- guarantors (担保人) of core accounts. Parties are those of the single customer view (int_party_xref). A relationship
-- is in force from valid_from until valid_to (exclusive; empty while in force); is_current: in force on the latest
-- business date. Which holders carry an account's AUM is decided by int_customer_aum_monthly (parameter
-- joint_holder_aum_split).
with accounts as (
    select account_id, account_source, party_id, source_customer_no, opened_on, closed_on
    from {{ ref('int_accounts') }}
),

as_of as (
    select max(business_date) as as_of_on from {{ ref('stg_audit__deliveries') }}
),

primary_holders as (
    select
        account_id,
        account_source,
        party_id,
        source_customer_no,
        '01' as party_role_code,
        opened_on as valid_from,
        closed_on as valid_to
    from accounts
    where party_id is not null
),

other_parties as (
    select
        p.account_no as account_id,
        'core' as account_source,
        x.party_id,
        p.cif_no as source_customer_no,
        p.party_role_code,
        p.valid_from,
        p.valid_to
    from {{ ref('stg_core__account_parties') }} as p
    inner join {{ ref('int_party_xref') }} as x on x.source_system = 'core' and x.source_customer_no = p.cif_no
    where p.party_role_code <> '01'
),

unioned as (
    select * from primary_holders
    union all
    select * from other_parties
),

final as (
    select
        u.account_id,
        u.account_source,
        u.party_id,
        u.source_customer_no,
        u.party_role_code,
        {{ decode('u.party_role_code', 'core.account_parties.party_role') }} as party_role_name,
        {{ decode('u.party_role_code', 'core.account_parties.party_role', 'zh') }} as party_role_name_zh,
        u.party_role_code = '01' as is_primary_holder,
        u.valid_from,
        u.valid_to,
        u.valid_from <= as_of.as_of_on and (u.valid_to is null or u.valid_to > as_of.as_of_on) as is_current
    from unioned as u
    cross join as_of
    -- one party may hold an account under one role once (a party both primary and joint holder: the primary role)
    qualify row_number() over (
        partition by u.account_id, u.party_id order by u.party_role_code, u.valid_from desc
    ) = 1
)

select * from final
