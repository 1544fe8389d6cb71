{{ config(materialized='table') }}
-- Per party and business month: the transactions the customer initiated (seed churn_customer_activities, reversals
-- excluded) by channel kind, card use, the salary credits received, and the core transactions reversed (冲正: a
-- failed payment the customer saw bounce). Months are the transaction's own business
-- date, so a month's figures read nothing after its end. Input of the churn definition (dormancy) and features.
with activities as (
    select * from {{ ref('churn_customer_activities') }}
),

channels as (
    select * from {{ ref('channel_activities') }}
),

accounts as (
    select account_id, party_id from {{ ref('int_accounts') }} where party_id is not null
),

core as (
    select
        {{ month_start('t.txn_on') }} as month_start,
        a.party_id,
        act.txn_type_code is not null as is_customer_initiated,
        coalesce(ch.is_digital, false) as is_digital,
        t.channel_code = 'CTR' as is_counter,
        false as is_card,
        t.txn_type_code = 'SAL' as is_salary,
        false as is_reversed
    from {{ ref('stg_core__transactions') }} as t
    inner join accounts as a on a.account_id = t.account_no
    left join activities as act on act.source_system = 'core' and act.txn_type_code = t.txn_type_code
    left join channels as ch on ch.source_system = 'core' and ch.channel_code = t.channel_code
    where not t.is_reversal
),

reversals as (
    select
        {{ month_start('t.txn_on') }} as month_start,
        a.party_id,
        false as is_customer_initiated,
        false as is_digital,
        false as is_counter,
        false as is_card,
        false as is_salary,
        true as is_reversed
    from {{ ref('stg_core__transactions') }} as t
    inner join accounts as a on a.account_id = t.account_no
    where t.is_reversal
),

cards as (
    select
        {{ month_start('t.txn_on') }} as month_start,
        a.party_id,
        act.txn_type_code is not null as is_customer_initiated,
        coalesce(ch.is_digital, false) as is_digital,
        false as is_counter,
        true as is_card,
        false as is_salary,
        false as is_reversed
    from {{ ref('stg_cards__card_transactions') }} as t
    inner join accounts as a on a.account_id = t.card_no
    left join activities as act on act.source_system = 'cards' and act.txn_type_code = t.txn_type_code
    left join channels as ch on ch.source_system = 'cards' and ch.channel_code = t.channel_code
    where not t.is_reversal
),

final as (
    select
        month_start,
        party_id,
        cast(count(*) filter (where is_customer_initiated) as integer) as customer_transactions,
        cast(count(*) filter (where is_customer_initiated and is_digital) as integer) as digital_transactions,
        cast(count(*) filter (where is_customer_initiated and is_counter) as integer) as counter_transactions,
        cast(count(*) filter (where is_customer_initiated and is_card) as integer) as card_transactions,
        cast(count(*) filter (where is_salary) as integer) as salary_credits,
        cast(count(*) filter (where is_reversed) as integer) as reversed_transactions
    from (select * from core union all select * from reversals union all select * from cards)
    group by month_start, party_id
)

select * from final
