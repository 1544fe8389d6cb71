-- Campaign contacts with the rules that judge them (the one model holding them): reached and interested by the
-- outcome (seed campaign_contact_outcomes); outside the campaign's dates (flagged, still counted: the customer was
-- contacted); to a control-group customer (flagged: the customer leaves the uplift, the control group is no longer
-- untouched); to a customer not on the list cannot happen (the contract's foreign key rejects it at load).
with contacts as (
    select * from {{ ref('stg_marketing__contacts') }}
),

campaigns as (
    select campaign_id, starts_on, ends_on from {{ ref('stg_marketing__campaigns') }}
),

members as (
    select campaign_id, cif_no, list_group_code from {{ ref('stg_marketing__target_lists') }}
),

outcomes as (
    select * from {{ ref('campaign_contact_outcomes') }}
),

final as (
    select
        k.contact_id,
        k.campaign_id,
        k.cif_no,
        m.list_group_code,
        k.channel_code,
        k.channel_name,
        k.contacted_on,
        k.outcome_code,
        k.outcome_name,
        coalesce(o.is_reached, false) as is_reached,
        coalesce(o.is_interested, false) as is_interested,
        k.contacted_on not between c.starts_on and c.ends_on as is_outside_campaign_dates,
        m.list_group_code = 'C' as is_control_contacted
    from contacts as k
    inner join campaigns as c on c.campaign_id = k.campaign_id
    inner join members as m on m.campaign_id = k.campaign_id and m.cif_no = k.cif_no
    left join outcomes as o on o.outcome_code = k.outcome_code
)

select * from final
