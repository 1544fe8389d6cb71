-- Campaign list members (营销名单), one row per campaign and listed customer: int_campaign_members plus the net
-- contribution to date (fct_contribution_monthly, every month built so far) of the accounts the customer opened in
-- attributed conversions of the campaign: the new business measured by the warehouse's own waterfall, the same way
-- for the target and the control group.
with members as (
    select * from {{ ref('int_campaign_members') }}
),

new_accounts as (
    select distinct campaign_id, cif_no, account_no
    from {{ ref('int_campaign_responses') }}
    where counts_as_conversion and account_no is not null
),

contribution as (
    select
        a.campaign_id,
        a.cif_no,
        cast(sum(f.net_contribution) as decimal(18, 2)) as new_business_net_contribution
    from new_accounts as a
    inner join {{ ref('fct_contribution_monthly') }} as f on f.account_id = a.account_no and f.account_source = 'core'
    group by a.campaign_id, a.cif_no
),

final as (
    select
        m.*,
        coalesce(c.new_business_net_contribution, cast(0 as decimal(18, 2))) as new_business_net_contribution
    from members as m
    left join contribution as c on c.campaign_id = m.campaign_id and c.cif_no = m.cif_no
)

select * from final
