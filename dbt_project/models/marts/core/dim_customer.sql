-- Customers (parties of the single customer view) as SCD type 2: a new version whenever the survivor CIF's tracked
-- attributes change (business date of the delivery) or the AUM tier changes. The AUM tier of a month (its monthly
-- average AUM) applies from the first day of the next month, and only once the month is complete. Personal data is
-- masked (the originals are in restricted_pii).
with parties as (
    select * from {{ ref('int_parties') }}
),

core_history as (
    select
        parties.party_id,
        h.valid_from,
        h.valid_to,
        h.customer_type_code,
        h.home_branch_code,
        h.rm_id,
        h.risk_rating_code,
        h.customer_status_code,
        h.household_code,
        h.group_code,
        h.industry_code
    from parties
    inner join {{ ref('snap_core__customers') }} as h on h.cif_no = parties.survivor_cif_no
),

tier_history as (
    select party_id, tier_from, aum_tier_code
    from (
        select
            party_id,
            cast(month_start + interval 1 month as date) as tier_from,
            aum_tier_code,
            lag(aum_tier_code) over (partition by party_id order by month_start) as previous_tier_code
        from {{ ref('int_customer_aum_monthly') }}
        where is_month_complete
    ) as t
    where previous_tier_code is distinct from aum_tier_code
),

card_only_start as (
    select
        parties.party_id,
        greatest(
            (select min(business_date) from {{ ref('stg_audit__deliveries') }} where source_system = 'cards'),
            parties.first_opened_on
        ) as valid_from
    from parties
    where parties.party_source_system = 'cards'
),

change_points as (
    select party_id, valid_from as changed_on from core_history
    union
    select party_id, tier_from from tier_history
    union
    select party_id, valid_from from card_only_start
),

versions as (
    select
        cp.party_id,
        cp.changed_on as valid_from,
        coalesce(
            lead(cp.changed_on) over (partition by cp.party_id order by cp.changed_on),
            {{ open_end_date() }}
        ) as valid_to
    from change_points as cp
),

-- the AUM tier in force when each version begins: the latest tier change on or before it
version_tiers as (
    select v.party_id, v.valid_from, max_by(t.aum_tier_code, t.tier_from) as aum_tier_code
    from versions as v
    inner join tier_history as t on t.party_id = v.party_id and t.tier_from <= v.valid_from
    group by v.party_id, v.valid_from
),

masked as (
    select
        parties.party_id,
        coalesce(core_pii.customer_name_masked, card_pii.cardholder_name_masked) as customer_name_masked,
        coalesce(core_pii.id_number_masked, card_pii.id_number_masked) as id_number_masked,
        coalesce(core_pii.mobile_phone_masked, card_pii.mobile_phone_masked) as mobile_phone_masked,
        core_pii.address_masked
    from parties
    left join {{ ref('pii_core__customers') }} as core_pii
        on parties.party_source_system = 'core' and core_pii.cif_no = parties.survivor_customer_no
    left join {{ ref('pii_cards__cardholders') }} as card_pii
        on parties.party_source_system = 'cards' and card_pii.card_customer_no = parties.survivor_customer_no
),

final as (
    select
        {{ surrogate_key(['v.party_id', 'v.valid_from']) }} as customer_key,
        v.party_id,
        v.valid_from,
        v.valid_to,
        v.valid_to = {{ open_end_date() }} as is_current,
        case
            when p.party_source_system = 'cards' then 'CARD_ONLY'
            when coalesce(h.customer_type_code, p.customer_type_code) = 'C' then 'CORPORATE'
            else 'RETAIL'
        end as segment_code,
        -- the segment's Chinese label, for every chart and filter that shows it (DuckDB reads the alias just made)
        case segment_code when 'RETAIL' then '零售' when 'CORPORATE' then '对公' when 'CARD_ONLY' then '仅信用卡' end
            as segment_name,
        coalesce(h.customer_type_code, p.customer_type_code) as customer_type_code,
        {{ decode('coalesce(h.customer_type_code, p.customer_type_code)', 'core.customers.customer_type') }}
            as customer_type_name,
        t.aum_tier_code,
        tiers.aum_tier_name_en,
        tiers.aum_tier_name_zh,
        h.rm_id,
        coalesce(h.home_branch_code, p.home_branch_code) as home_branch_code,
        h.risk_rating_code,
        coalesce(h.customer_status_code, p.customer_status_code) as customer_status_code,
        {{ decode('coalesce(h.customer_status_code, p.customer_status_code)', 'core.customers.customer_status') }}
            as customer_status_name,
        h.household_code,
        h.group_code,
        h.industry_code,
        p.survivor_cif_no,
        p.party_source_system,
        p.core_cif_count,
        p.card_customer_count,
        p.is_in_both_systems,
        p.birth_year,
        p.first_opened_on,
        p.closed_on,
        m.customer_name_masked,
        m.id_number_masked,
        m.mobile_phone_masked,
        m.address_masked
    from versions as v
    inner join parties as p on p.party_id = v.party_id
    left join core_history as h
        on h.party_id = v.party_id and v.valid_from >= h.valid_from and v.valid_from < h.valid_to
    left join version_tiers as t on t.party_id = v.party_id and t.valid_from = v.valid_from
    left join {{ ref('aum_tiers') }} as tiers on tiers.aum_tier_code = t.aum_tier_code
    left join masked as m on m.party_id = v.party_id
),

-- relationships with accounts in force today (int_account_parties), counted per role: the same on every version
-- (type 1 attributes)
relationships as (
    select
        party_id,
        cast(count(*) filter (where party_role_code = '01') as integer) as primary_holder_accounts,
        cast(count(*) filter (where party_role_code = '02') as integer) as joint_holder_accounts,
        cast(count(*) filter (where party_role_code = '03') as integer) as authorised_user_accounts,
        cast(count(*) filter (where party_role_code = '04') as integer) as guaranteed_accounts
    from {{ ref('int_account_parties') }}
    where is_current
    group by party_id
),

with_relationships as (
    select
        f.*,
        coalesce(r.primary_holder_accounts, 0) as primary_holder_accounts,
        coalesce(r.joint_holder_accounts, 0) as joint_holder_accounts,
        coalesce(r.authorised_user_accounts, 0) as authorised_user_accounts,
        coalesce(r.guaranteed_accounts, 0) as guaranteed_accounts
    from final as f
    left join relationships as r on r.party_id = f.party_id
),

-- the unknown member (macros/unknown_member.sql): the row a fact without this dimension's key points at
-- the unknown member's columns in the order of the rows it joins (a positional union: Spark has no UNION BY NAME)
unknown_member as (
    select
        {{ unknown_key() }} as customer_key,
        {{ unknown_key() }} as party_id,
        {{ open_start_date() }} as valid_from,
        {{ open_end_date() }} as valid_to,
        true as is_current,
        {{ unknown_key() }} as segment_code,
        {{ unknown_label() }} as segment_name,
        {{ unknown_key() }} as customer_type_code,
        {{ unknown_label() }} as customer_type_name,
        null as aum_tier_code,
        {{ unknown_label('en') }} as aum_tier_name_en,
        {{ unknown_label() }} as aum_tier_name_zh,
        {{ unknown_key() }} as rm_id,
        {{ unknown_key() }} as home_branch_code,
        null as risk_rating_code,
        null as customer_status_code,
        {{ unknown_label() }} as customer_status_name,
        null as household_code,
        null as group_code,
        null as industry_code,
        null as survivor_cif_no,
        null as party_source_system,
        null as core_cif_count,
        null as card_customer_count,
        false as is_in_both_systems,
        null as birth_year,
        null as first_opened_on,
        null as closed_on,
        {{ unknown_label() }} as customer_name_masked,
        null as id_number_masked,
        null as mobile_phone_masked,
        null as address_masked,
        null as primary_holder_accounts,
        null as joint_holder_accounts,
        null as authorised_user_accounts,
        null as guaranteed_accounts
)

select * from with_relationships
union all
select * from unknown_member
