-- The counts behind int_churn_activity_monthly, per account and month of the transaction's own business date: the
-- transactions the customer initiated (seed churn_customer_activities, reversals excluded) by channel kind, card use,
-- salary credits, and the core transactions reversed (冲正). Stored per account, not per party, so that a day's build
-- adds the month's new rows instead of counting all history again: the party an account belongs to can change (single
-- customer view), and int_churn_activity_monthly sums these counts under today's party of each account.
-- Months follow the transaction date, not the delivery's, so besides the months whose watermark moved
-- (macros/incremental.sql) a run rebuilds every month from the earliest transaction date found in the raw rows of the
-- business dates delivered since the model last ran (a reload's superseded rows included): a late-posted transaction
-- or one a reload drops is counted again in its own month.
-- depends_on: {{ ref('stg_audit__deliveries') }}
-- depends_on: {{ source('core', 'transactions') }}
-- depends_on: {{ source('cards', 'card_transactions') }}
with months as (
    select month_start, max_batch_id from {{ ref('int_month_watermarks') }}
),

{% if is_incremental() -%}
first_month as (
    select least(
        (select min(month_start) from ({{ months_to_rebuild_query(this) }})),
        {{ first_posting_month_delivered_since(this, {'core': source('core', 'transactions'),
                                                     'cards': source('cards', 'card_transactions')}) }}
    ) as month_start
),
{%- endif %}

activities as (
    select * from {{ ref('churn_customer_activities') }}
),

channels as (
    select * from {{ ref('channel_activities') }}
),

postings as (
    select
        {{ month_start('t.txn_on') }} as month_start,
        t.account_no as account_id,
        not t.is_reversal and act.txn_type_code is not null as is_customer_initiated,
        coalesce(ch.is_digital, false) as is_digital,
        t.channel_code = 'CTR' as is_counter,
        false as is_card,
        not t.is_reversal and t.txn_type_code = 'SAL' as is_salary,
        t.is_reversal as is_reversed
    from {{ ref('stg_core__transactions') }} as t
    left join activities as act on act.source_system = 'core' and act.txn_type_code = t.txn_type_code
    left join channels as ch on ch.source_system = 'core' and ch.channel_code = t.channel_code
    {% if is_incremental() -%}
    where t.txn_on >= (select month_start from first_month)
    {%- endif %}
    union all
    select
        {{ month_start('t.txn_on') }},
        t.card_no,
        act.txn_type_code is not null,
        coalesce(ch.is_digital, false),
        false,
        true,
        false,
        false
    from {{ ref('stg_cards__card_transactions') }} as t
    left join activities as act on act.source_system = 'cards' and act.txn_type_code = t.txn_type_code
    left join channels as ch on ch.source_system = 'cards' and ch.channel_code = t.channel_code
    where not t.is_reversal
    {%- if is_incremental() %}
      and t.txn_on >= (select month_start from first_month)
    {%- endif %}
),

final as (
    select
        p.month_start,
        p.account_id,
        cast(count(*) filter (where p.is_customer_initiated) as integer) as customer_transactions,
        cast(count(*) filter (where p.is_customer_initiated and p.is_digital) as integer) as digital_transactions,
        cast(count(*) filter (where p.is_customer_initiated and p.is_counter) as integer) as counter_transactions,
        cast(count(*) filter (where p.is_customer_initiated and p.is_card) as integer) as card_transactions,
        cast(count(*) filter (where p.is_salary) as integer) as salary_credits,
        cast(count(*) filter (where p.is_reversed) as integer) as reversed_transactions,
        -- a transaction dated before the first delivered month has no watermark: rebuilt only when its date is
        coalesce(any_value(months.max_batch_id), 0) as _max_batch_id
    from postings as p
    left join months on months.month_start = p.month_start
    group by p.month_start, p.account_id
)

select * from final
