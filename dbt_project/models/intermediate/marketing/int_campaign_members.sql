-- One row per campaign and listed customer: the group, the segment and branch the campaign is reported by, what
-- the campaign did to the customer (contacts, reach) and what the customer did (attributed responses, conversions,
-- new money). The segment is the customer's AUM tier (int_customer_aum_monthly) of the month before the campaign
-- starts (its first month when the warehouse has no earlier one); the branch is the customer's home branch. A
-- control-group customer who was contacted leaves the uplift (is_in_uplift = false): the control group is the
-- untouched baseline.
with members as (
    select * from {{ ref('stg_marketing__target_lists') }}
),

campaigns as (
    select campaign_id, starts_on from {{ ref('stg_marketing__campaigns') }}
),

xref as (
    select source_customer_no as cif_no, party_id
    from {{ ref('int_party_xref') }}
    where source_system = 'core'
),

parties as (
    select party_id, home_branch_code, rm_id from {{ ref('int_parties') }}
),

aum as (
    select party_id, month_start, aum_tier_code, aum_cny from {{ ref('int_customer_aum_monthly') }}
),

contacts as (
    select
        campaign_id,
        cif_no,
        count(*) as contact_count,
        count(*) filter (where is_outside_campaign_dates) as contacts_outside_dates,
        bool_or(is_reached) as is_reached,
        bool_or(is_interested) as is_interested,
        min(contacted_on) as first_contacted_on
    from {{ ref('int_campaign_contacts') }}
    group by campaign_id, cif_no
),

responses as (
    select
        campaign_id,
        cif_no,
        bool_or(counts_as_response) as has_response,
        bool_or(counts_as_conversion) as has_conversion,
        cast(sum(new_money_amount) as decimal(18, 2)) as new_money_amount,
        min(responded_on) filter (where counts_as_response) as first_responded_on
    from {{ ref('int_campaign_responses') }}
    group by campaign_id, cif_no
),

final as (
    select
        m.campaign_id,
        m.cif_no,
        x.party_id,
        m.list_group_code,
        m.list_group_name,
        m.listed_on,
        coalesce(before.aum_tier_code, during.aum_tier_code) as segment_code,
        coalesce(before.aum_cny, during.aum_cny) as baseline_aum_cny,
        p.home_branch_code as branch_code,
        p.rm_id,
        coalesce(k.contact_count, 0) as contact_count,
        coalesce(k.contacts_outside_dates, 0) as contacts_outside_dates,
        coalesce(k.contact_count, 0) > 0 as is_contacted,
        coalesce(k.is_reached, false) as is_reached,
        coalesce(k.is_interested, false) as is_interested,
        k.first_contacted_on,
        m.list_group_code = 'C' and coalesce(k.contact_count, 0) > 0 as is_control_contacted,
        not (m.list_group_code = 'C' and coalesce(k.contact_count, 0) > 0) as is_in_uplift,
        coalesce(r.has_response, false) as has_response,
        coalesce(r.has_conversion, false) as has_conversion,
        coalesce(r.new_money_amount, cast(0 as decimal(18, 2))) as new_money_amount,
        r.first_responded_on
    from members as m
    inner join campaigns as c on c.campaign_id = m.campaign_id
    left join xref as x on x.cif_no = m.cif_no
    left join parties as p on p.party_id = x.party_id
    left join aum as before
        on before.party_id = x.party_id and before.month_start = {{ add_months(month_start('c.starts_on'), -1) }}
    left join aum as during on during.party_id = x.party_id and during.month_start = {{ month_start('c.starts_on') }}
    left join contacts as k on k.campaign_id = m.campaign_id and k.cif_no = m.cif_no
    left join responses as r on r.campaign_id = m.campaign_id and r.cif_no = m.cif_no
)

select * from final
