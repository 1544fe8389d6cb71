-- Campaign responses (营销响应), one row per application or product taken, with the customer's party, group and the
-- attribution of int_campaign_responses (attributed or why not; response, conversion, new money).
with responses as (
    select * from {{ ref('int_campaign_responses') }}
),

members as (
    select campaign_id, cif_no, party_id, segment_code, branch_code, is_in_uplift
    from {{ ref('int_campaign_members') }}
),

final as (
    select
        r.response_id,
        r.contact_id,
        r.campaign_id,
        r.cif_no,
        m.party_id,
        r.list_group_code,
        m.segment_code,
        m.branch_code,
        r.responded_on,
        r.response_type_code,
        r.response_type_name,
        r.product_code,
        r.account_no,
        r.amount,
        r.window_ends_on,
        r.attribution_code,
        case r.attribution_code
            when 'ATTRIBUTED' then '归因'
            when 'BEFORE_START' then '活动开始前'
            when 'AFTER_WINDOW' then '超出归因窗口'
            when 'BEFORE_CONTACT' then '早于接触'
        end as attribution_name,
        r.is_attributed,
        r.counts_as_response,
        r.counts_as_conversion,
        r.new_money_amount,
        m.is_in_uplift
    from responses as r
    inner join members as m on m.campaign_id = r.campaign_id and m.cif_no = r.cif_no
)

select * from final
