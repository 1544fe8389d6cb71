{{ config(materialized='table') }}
-- One row per party (real customer) with its current attributes, taken from the survivor: the golden core CIF, or
-- the card-system record for a customer the core does not know.
with xref as (
    select * from {{ ref('int_party_xref') }}
),

core_customers as (
    select * from {{ ref('stg_core__customers') }}
),

cards as (
    select * from {{ ref('stg_cards__cards') }}
),

card_customers as (
    select
        card_customer_no,
        min(opened_on) as first_opened_on,
        bool_or(card_status_code <> 'C') as has_live_card,
        max(closed_on) as last_closed_on,
        min_by(branch_code, opened_on) as first_card_branch_code
    from cards
    group by card_customer_no
),

membership as (
    select
        party_id,
        count(*) filter (where source_system = 'core') as core_cif_count,
        count(*) filter (where source_system = 'cards') as card_customer_count,
        bool_or(has_identity_conflict) as has_identity_conflict,
        bool_or(has_name_mismatch) as has_name_mismatch
    from xref
    group by party_id
),

core_span as (
    select
        xref.party_id,
        min(c.opened_on) as first_opened_on,
        bool_and(c.customer_status_code = '9') as all_cifs_closed,
        max(c.closed_on) as last_closed_on
    from xref
    inner join core_customers as c on c.cif_no = xref.source_customer_no
    where xref.source_system = 'core'
    group by xref.party_id
),

survivors as (
    select party_id, source_system, source_customer_no
    from xref
    where is_survivor
),

final as (
    select
        survivors.party_id,
        survivors.source_system as party_source_system,
        survivors.source_customer_no as survivor_customer_no,
        case when survivors.source_system = 'core' then survivors.source_customer_no end as survivor_cif_no,
        coalesce(c.customer_type_code, 'P') as customer_type_code,
        membership.core_cif_count,
        membership.card_customer_count,
        membership.core_cif_count > 0 and membership.card_customer_count > 0 as is_in_both_systems,
        membership.has_identity_conflict,
        membership.has_name_mismatch,
        c.household_code,
        c.group_code,
        c.industry_code,
        c.birth_year,
        c.rm_id,
        coalesce(c.home_branch_code, cc.first_card_branch_code) as home_branch_code,
        c.risk_rating_code,
        case
            when survivors.source_system = 'core' then c.customer_status_code
            when cc.has_live_card then '0'
            else '9'
        end as customer_status_code,
        coalesce(core_span.first_opened_on, cc.first_opened_on) as first_opened_on,
        case
            when survivors.source_system = 'core' and core_span.all_cifs_closed then core_span.last_closed_on
            when survivors.source_system = 'cards' and not cc.has_live_card then cc.last_closed_on
        end as closed_on
    from survivors
    inner join membership on membership.party_id = survivors.party_id
    left join core_customers as c
        on survivors.source_system = 'core' and c.cif_no = survivors.source_customer_no
    left join core_span on core_span.party_id = survivors.party_id
    left join card_customers as cc
        on survivors.source_system = 'cards' and cc.card_customer_no = survivors.source_customer_no
)

select * from final
