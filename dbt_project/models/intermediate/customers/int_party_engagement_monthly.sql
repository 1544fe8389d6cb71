-- What each party held and did in a month: accounts, products, categories and product lines open at some observed
-- day; core and card transactions posted in the month (reversals excluded) by channel type, and the last day one was
-- made. Input of the loyalty, CLV and RM reports.
with months as (
    {{ months_to_build() }}
),

accounts as (
    select a.*
    from {{ ref('int_account_attributes_monthly') }} as a
    inner join months on months.month_start = a.month_start
    where a.party_id is not null
),

holdings as (
    select
        month_start,
        party_id,
        count(*) filter (where is_open_in_month) as accounts_open,
        count(distinct product_code) filter (where is_open_in_month) as products_held,
        count(distinct category_code) filter (where is_open_in_month) as categories_held,
        count(distinct product_line_code) filter (where is_open_in_month) as product_lines_held,
        count(*) filter (where opened_on >= month_start) as accounts_opened
    from accounts
    group by month_start, party_id
),

channels as (
    select * from {{ ref('channel_activities') }}
),

transactions as (
    select
        {{ month_start('t._delivered_on') }} as month_start,
        a.party_id,
        t.txn_on,
        'core' as source_system,
        t.channel_code
    from {{ ref('stg_core__transactions') }} as t
    inner join accounts as a
        on a.month_start = {{ month_start('t._delivered_on') }} and a.account_id = t.account_no
    where not t.is_reversal and {{ since_first_rebuilt_month('t._delivered_on', 'months') }}
    union all
    select
        {{ month_start('t._delivered_on') }},
        a.party_id,
        t.txn_on,
        'cards',
        t.channel_code
    from {{ ref('stg_cards__card_transactions') }} as t
    inner join accounts as a
        on a.month_start = {{ month_start('t._delivered_on') }} and a.account_id = t.card_no
    where not t.is_reversal and t.channel_code <> 'SYS'
      and {{ since_first_rebuilt_month('t._delivered_on', 'months') }}
),

-- each party's transactions of the month counted per channel first, then the channels summed: one pass over the
-- transactions instead of a second one for the distinct channels, and the channel list joined per channel, not per
-- transaction (int_party_engagement_monthly at scale 0.3, issue 12)
party_channels as (
    select
        month_start,
        party_id,
        source_system,
        channel_code,
        count(*) as transactions,
        max(txn_on) as last_transaction_on
    from transactions
    group by month_start, party_id, source_system, channel_code
),

activity as (
    select
        t.month_start,
        t.party_id,
        cast(sum(t.transactions) as bigint) as transactions,
        coalesce(cast(sum(t.transactions) filter (where ch.is_digital) as bigint), 0) as digital_transactions,
        coalesce(
            cast(sum(t.transactions) filter (where t.source_system = 'core' and t.channel_code = 'CTR') as bigint), 0
        ) as counter_transactions,
        -- the channels used: one row each (a transaction without a channel code counts none)
        count(t.channel_code) as channels_used,
        max(t.last_transaction_on) as last_transaction_on
    from party_channels as t
    left join channels as ch on ch.source_system = t.source_system and ch.channel_code = t.channel_code
    group by t.month_start, t.party_id
),

final as (
    select
        h.month_start,
        h.party_id,
        h.accounts_open,
        h.products_held,
        h.categories_held,
        h.product_lines_held,
        h.accounts_opened,
        coalesce(act.transactions, 0) as transactions,
        coalesce(act.digital_transactions, 0) as digital_transactions,
        coalesce(act.counter_transactions, 0) as counter_transactions,
        coalesce(act.channels_used, 0) as channels_used,
        act.last_transaction_on,
        months._max_batch_id
    from holdings as h
    inner join months on months.month_start = h.month_start
    left join activity as act on act.month_start = h.month_start and act.party_id = h.party_id
)

select * from final
