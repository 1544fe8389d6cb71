{{ config(materialized='table') }}
-- Attrition (客户流失): the business date a party's survivor CIF went from active to dormant (睡眠, status 1) or
-- closed (销户, status 9), read from its SCD2 history; a customer already dormant or closed when first delivered has
-- no event. Parties known only to the card system leave when their last card is cancelled.
with parties as (
    select * from {{ ref('int_parties') }}
),

core_transitions as (
    select
        parties.party_id,
        h.valid_from as attrited_on,
        h.customer_status_code,
        lag(h.customer_status_code) over (partition by h.cif_no order by h.valid_from) as previous_status_code
    from parties
    inner join {{ ref('snap_core__customers') }} as h on h.cif_no = parties.survivor_cif_no
),

core_events as (
    select
        party_id,
        attrited_on,
        case customer_status_code when '9' then 'closed' else 'dormant' end as attrition_outcome
    from core_transitions
    where customer_status_code in ('1', '9')
      and previous_status_code is not null
      and previous_status_code not in ('1', '9')
),

first_core_events as (
    select party_id, min(attrited_on) as attrited_on, min_by(attrition_outcome, attrited_on) as attrition_outcome
    from core_events
    group by party_id
),

card_only_events as (
    select party_id, closed_on as attrited_on, 'closed' as attrition_outcome
    from parties
    where party_source_system = 'cards'
      and closed_on is not null
      and closed_on >= (select min(business_date) from {{ ref('stg_audit__deliveries') }})
),

final as (
    select party_id, attrited_on, attrition_outcome from first_core_events
    union all
    select party_id, attrited_on, attrition_outcome from card_only_events
)

select * from final
