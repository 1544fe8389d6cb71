-- Campaign contacts (营销接触), one row per contact attempt, with the customer's party, group and the flags of
-- int_campaign_contacts: reached, interested, outside the campaign's dates, a control-group customer contacted.
with contacts as (
    select * from {{ ref('int_campaign_contacts') }}
),

members as (
    select campaign_id, cif_no, party_id, segment_code, branch_code from {{ ref('int_campaign_members') }}
),

final as (
    select
        k.contact_id,
        k.campaign_id,
        k.cif_no,
        m.party_id,
        k.list_group_code,
        m.segment_code,
        m.branch_code,
        k.channel_code,
        k.channel_name,
        k.contacted_on,
        k.outcome_code,
        k.outcome_name,
        k.is_reached,
        k.is_interested,
        k.is_outside_campaign_dates,
        k.is_control_contacted
    from contacts as k
    inner join members as m on m.campaign_id = k.campaign_id and m.cif_no = k.cif_no
)

select * from final
