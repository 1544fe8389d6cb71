-- depends_on: {{ ref('int_month_watermarks') }}
-- Balances per account and month: average daily balance (日均), month-end balance and the interest accrued in the
-- month, in account currency and in CNY (month-end rate). Core accounts from daily balances; credit cards from the
-- monthly statement and the card postings (the daily balance rebuilt from them, statement balance, interest charged).
with months as (
    {{ months_to_build() }}
),

keys as (
    select *
    from {{ ref('int_measured_accounts_monthly') }}
    where {{ months_to_rebuild() }}
),

core_balances as (
    select * from {{ ref('int_core_account_balances_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

card_balances as (
    select * from {{ ref('int_card_balances_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

interest as (
    select * from {{ ref('int_interest_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

accruals as (
    select month_start, account_no as account_id, accrued_interest
    from {{ ref('stg_core__interest_accruals') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

customers as (
    select customer_key, party_id, valid_from from {{ ref('dim_customer') }}
),

customer_versions as (
    {{ customer_version_keys('keys', 'customers', ['month_start', 'account_id'], 'as_of_on') }}
),

final as (
    select
        k.month_start,
        k.account_id,
        k.account_source,
        k.party_id,
        {{ dimension_key('c.customer_key') }} as customer_key,
        {{ dimension_key('k.product_code') }} as product_code,
        {{ dimension_key('k.branch_code') }} as branch_code,
        {{ dimension_key('k.rm_id') }} as rm_id,
        k.currency_code,
        coalesce(cb.observed_days, {{ days_in_month('k.month_start') }}) as observed_days,
        coalesce(cb.average_daily_balance, kb.average_daily_balance) as average_daily_balance,
        coalesce(cb.average_daily_balance_cny, kb.average_daily_balance) as average_daily_balance_cny,
        coalesce(cb.month_end_balance, kb.closing_balance) as month_end_balance,
        coalesce(cb.month_end_balance_cny, kb.closing_balance) as month_end_balance_cny,
        kb.revolving_balance as card_revolving_balance,
        coalesce(acc.accrued_interest, kb.interest_charged, 0) as accrued_interest,
        cast(coalesce(i.interest_income, 0) + coalesce(i.interest_expense, 0) + coalesce(i.interest_unmapped, 0)
             as decimal(18, 2)) as accrued_interest_cny,
        {{ month_status('k.month_start', days=false) }},
        k._max_batch_id
    from keys as k
    left join core_balances as cb on cb.month_start = k.month_start and cb.account_id = k.account_id
    left join card_balances as kb on kb.month_start = k.month_start and kb.account_id = k.account_id
    left join interest as i on i.month_start = k.month_start and i.account_id = k.account_id
    left join accruals as acc on acc.month_start = k.month_start and acc.account_id = k.account_id
    left join customer_versions as c on c.month_start = k.month_start and c.account_id = k.account_id
    where cb.account_id is not null or kb.account_id is not null or i.account_id is not null
)

select * from final
