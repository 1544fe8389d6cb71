{{ config(materialized='table') }}
-- Per party and business month: the transactions the customer initiated (seed churn_customer_activities, reversals
-- excluded) by channel kind, card use, the salary credits received, and the core transactions reversed (冲正: a
-- failed payment the customer saw bounce). Months are the transaction's own business
-- date, so a month's figures read nothing after its end. Input of the churn definition (dormancy) and features.
-- Summed from the per-account counts of int_account_activity_monthly (built incrementally) under today's party of
-- each account, so a party merged or split by the single customer view has all its history.
with accounts as (
    select account_id, party_id from {{ ref('int_accounts') }} where party_id is not null
),

final as (
    select
        c.month_start,
        a.party_id,
        cast(sum(c.customer_transactions) as integer) as customer_transactions,
        cast(sum(c.digital_transactions) as integer) as digital_transactions,
        cast(sum(c.counter_transactions) as integer) as counter_transactions,
        cast(sum(c.card_transactions) as integer) as card_transactions,
        cast(sum(c.salary_credits) as integer) as salary_credits,
        cast(sum(c.reversed_transactions) as integer) as reversed_transactions
    from {{ ref('int_account_activity_monthly') }} as c
    inner join accounts as a on a.account_id = c.account_id
    group by c.month_start, a.party_id
)

select * from final
