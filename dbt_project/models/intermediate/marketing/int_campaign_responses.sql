-- Campaign responses with their attribution (the one model holding the rule): a response counts for its campaign
-- when it falls between the campaign's first day and parameter campaign_attribution_window_days after its last, and,
-- when it answers a contact, not before that contact; what it counts as (response, conversion, new money) follows
-- its type (seed campaign_response_rules).
with responses as (
    select * from {{ ref('stg_marketing__responses') }}
),

campaigns as (
    select campaign_id, starts_on, ends_on from {{ ref('stg_marketing__campaigns') }}
),

members as (
    select campaign_id, cif_no, list_group_code from {{ ref('stg_marketing__target_lists') }}
),

contacts as (
    select contact_id, contacted_on from {{ ref('stg_marketing__contacts') }}
),

rules as (
    select * from {{ ref('campaign_response_rules') }}
),

judged as (
    select
        r.response_id,
        r.contact_id,
        r.campaign_id,
        r.cif_no,
        m.list_group_code,
        r.responded_on,
        r.response_type_code,
        r.response_type_name,
        r.product_code,
        r.account_no,
        r.amount,
        c.ends_on + cast({{ param('campaign_attribution_window_days') }} as integer) as window_ends_on,
        case
            when r.responded_on < c.starts_on then 'BEFORE_START'
            when r.responded_on > c.ends_on + cast({{ param('campaign_attribution_window_days') }} as integer)
                then 'AFTER_WINDOW'
            when k.contacted_on is not null and r.responded_on < k.contacted_on then 'BEFORE_CONTACT'
            else 'ATTRIBUTED'
        end as attribution_code,
        coalesce(ru.counts_as_response, false) as rule_counts_as_response,
        coalesce(ru.counts_as_conversion, false) as rule_counts_as_conversion,
        coalesce(ru.counts_amount, false) as rule_counts_amount
    from responses as r
    inner join campaigns as c on c.campaign_id = r.campaign_id
    inner join members as m on m.campaign_id = r.campaign_id and m.cif_no = r.cif_no
    left join contacts as k on k.contact_id = r.contact_id
    left join rules as ru on ru.response_type_code = r.response_type_code
),

final as (
    select
        -- the columns of judged but its rule flags, named (column exclusion is not portable SQL)
        response_id,
        contact_id,
        campaign_id,
        cif_no,
        list_group_code,
        responded_on,
        response_type_code,
        response_type_name,
        product_code,
        account_no,
        amount,
        window_ends_on,
        attribution_code,
        attribution_code = 'ATTRIBUTED' as is_attributed,
        attribution_code = 'ATTRIBUTED' and rule_counts_as_response as counts_as_response,
        attribution_code = 'ATTRIBUTED' and rule_counts_as_conversion as counts_as_conversion,
        cast(case when attribution_code = 'ATTRIBUTED' and rule_counts_amount then amount else 0 end
             as decimal(18, 2)) as new_money_amount
    from judged
)

select * from final
