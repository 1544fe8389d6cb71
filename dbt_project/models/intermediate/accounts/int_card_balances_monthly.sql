-- Credit card balances per card and statement month. The card system delivers no daily balance, so the balance of
-- each day is rebuilt from what the warehouse holds: the statement's opening balance (the previous statement's
-- closing balance) plus every posting of the month up to that day (card transactions: purchases, installment
-- purchases, cash advances, fees and interest raise the balance owed, repayments and refunds lower it, a reversal
-- counts the other way). Statements are cut on the last day of the month, so
--   Σ daily balances = days in month × opening + Σ posting × (days in month − day of posting + 1)
--   ADB              = Σ daily balances / days in month, rounded to the cent once
--   rebuilt closing  = opening + Σ postings, which must equal the statement's closing balance
--                      (tests/reconciliation/assert_card_balances_reconcile_to_statements.sql).
with months as (
    {{ months_to_build(['days_in_month']) }}
),

statements as (
    select s.*
    from {{ ref('stg_cards__card_statements') }} as s
    inner join months on months.month_start = s.month_start
),

postings as (
    select
        {{ month_start('t.txn_on') }} as month_start,
        t.card_no,
        t.txn_on,
        -- the balance owed moves up with charges and down with repayments and refunds
        case when t.txn_type_code in ('PMT', 'REF') then -t.amount else t.amount end
            * case when t.is_reversal then -1 else 1 end as balance_effect
    from {{ ref('stg_cards__card_transactions') }} as t
    where {{ since_first_rebuilt_month('t.txn_on', 'months') }}
),

posted as (
    select
        s.month_start,
        s.card_no,
        sum(p.balance_effect) as posted_amount,
        -- each posting counts on every day from its own to the month end
        sum(p.balance_effect * ({{ days_in_month('s.month_start') }} - day(p.txn_on) + 1)) as posted_balance_days
    from statements as s
    inner join postings as p
        on p.card_no = s.card_no and p.month_start = s.month_start and p.txn_on <= s.statement_on
    group by s.month_start, s.card_no
),

final as (
    select
        s.month_start,
        s.card_no as account_id,
        'CNY' as currency_code,
        s.statement_on,
        s.opening_balance,
        s.closing_balance,
        cast(s.opening_balance + coalesce(p.posted_amount, 0) as decimal(18, 2)) as rebuilt_closing_balance,
        s.revolving_balance,
        s.interest_charged,
        s.fees_charged,
        s.days_past_due,
        cast(cast(s.opening_balance as decimal(38, 2)) * months.days_in_month + coalesce(p.posted_balance_days, 0)
             as decimal(38, 2)) as balance_days,
        cast({{ divide_round(
            'cast(s.opening_balance as decimal(38, 2)) * months.days_in_month + coalesce(p.posted_balance_days, 0)',
            'months.days_in_month', 2) }} as decimal(18, 2)) as average_daily_balance,
        months._max_batch_id
    from statements as s
    inner join months on months.month_start = s.month_start
    left join posted as p on p.month_start = s.month_start and p.card_no = s.card_no
)

select * from final
