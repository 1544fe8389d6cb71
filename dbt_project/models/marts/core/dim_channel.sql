-- Transaction channels of the core and card systems, with the costing activity they drive and their unit cost.
with channels as (
    select
        split_part(code_set, '.', 1) as source_system,
        code as channel_code,
        label_en as channel_name_en,
        label_zh as channel_name_zh
    from {{ ref('code_values') }}
    where code_set in ('core.transactions.channel', 'cards.card_transactions.channel')
),

final as (
    select
        channels.source_system || ':' || channels.channel_code as channel_key,
        channels.source_system,
        channels.channel_code,
        channels.channel_name_en,
        channels.channel_name_zh,
        ca.activity_code,
        coalesce(ca.is_digital, false) as is_digital,
        uc.unit_cost_cny
    from channels
    left join {{ ref('channel_activities') }} as ca
        on ca.source_system = channels.source_system and ca.channel_code = channels.channel_code
    left join {{ ref('unit_costs') }} as uc on uc.activity_code = ca.activity_code
),

-- the unknown member (macros/unknown_member.sql): the row a fact without this dimension's key points at
-- the unknown member's columns in the order of the rows it joins (a positional union: Spark has no UNION BY NAME)
unknown_member as (
    select
        {{ unknown_key() }} as channel_key,
        null as source_system,
        null as channel_code,
        {{ unknown_label('en') }} as channel_name_en,
        {{ unknown_label() }} as channel_name_zh,
        null as activity_code,
        false as is_digital,
        null as unit_cost_cny
)

select * from final
union all
select * from unknown_member
