-- depends_on: {{ ref('int_month_watermarks') }}
-- Transaction type × channel mix per month (core and card systems): counts, amounts and fees in CNY, the share of the
-- month's transactions of the system, and whether the channel is digital. Month of the business date posted;
-- reversals excluded.
with core as (
    select
        {{ month_start('_delivered_on') }} as month_start,
        'core' as source_system,
        txn_type_code,
        txn_type_name,
        channel_key,
        count(*) as transactions,
        sum(amount_cny) as amount_cny,
        sum(fee_amount_cny) as fee_amount_cny
    from {{ ref('fct_transactions') }}
    where not is_reversal and {{ months_to_rebuild(month_start('_delivered_on')) }}
      and {{ since_first_rebuilt_month('_delivered_on') }}
    group by all
),

cards as (
    select
        {{ month_start('_delivered_on') }} as month_start,
        'cards' as source_system,
        txn_type_code,
        txn_type_name,
        channel_key,
        count(*) as transactions,
        sum(amount_cny) as amount_cny,
        sum(interchange_fee) as fee_amount_cny
    from {{ ref('fct_card_transactions') }}
    where not is_reversal and {{ months_to_rebuild(month_start('_delivered_on')) }}
      and {{ since_first_rebuilt_month('_delivered_on') }}
    group by all
),

unioned as (
    select * from core
    union all
    select * from cards
),

final as (
    select
        u.month_start,
        u.source_system,
        u.txn_type_code,
        u.txn_type_name,
        u.channel_key,
        ch.channel_code,
        ch.channel_name_en,
        ch.is_digital,
        u.transactions,
        cast(u.amount_cny as decimal(18, 2)) as amount_cny,
        cast(u.fee_amount_cny as decimal(18, 2)) as fee_amount_cny,
        {{ ratio('u.transactions', 'sum(u.transactions) over (partition by u.month_start, u.source_system)') }}
            as share_of_system_transactions,
        {{ month_status('u.month_start') }},
        w.max_batch_id as _max_batch_id
    from unioned as u
    inner join {{ ref('int_month_watermarks') }} as w on w.month_start = u.month_start
    left join {{ ref('dim_channel') }} as ch on ch.channel_key = u.channel_key
)

select * from final
