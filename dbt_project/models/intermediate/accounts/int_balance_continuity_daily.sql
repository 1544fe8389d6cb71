-- Balance continuity (余额连续性) per account and business day: the previous closing balance plus the day's postings
-- must equal the day's closing balance (docs/methodology.md, "Balance continuity"; docs/data-quality.md).
--   core accounts  balances are change-only (a row on the days the balance changed and on every month end), so the
--                  account-days checked are those with a balance row or with postings. The previous closing is the
--                  account's latest balance row before the day; the actual closing is the day's row, or the balance
--                  carried from before when the day has postings but no row. A posting moves the balance by its side:
--                  a credit (C) raises a liability or wealth holding and lowers an asset (a loan), a debit the other
--                  way; the fee charged with a transaction is taken from the account (raises what an asset owes).
--                  A reversal carries its own debit/credit flag (the opposite of the original) and counts as
--                  flagged. An account opened on or after the first core delivery starts from 0.00; an older account
--                  is checked from its second row (the first delivery carries no earlier closing).
--   cards          the card system delivers no daily balance: one statement per card and month, checked on its
--                  statement date. The previous closing is the previous statement's closing balance (the statement's
--                  own opening balance for a card's first statement); the postings are the card transactions of the
--                  statement month as int_card_balances_monthly adds them up (rebuilt closing − opening).
-- difference = closing − expected closing; is_break when |difference| exceeds parameter balance_continuity_tolerance.
-- The breaks, named, are rpt_balance_continuity_breaks. Rebuilt month by month like every month-level model: a run
-- reads the balances from the month before the first month it rebuilds (its month-end row carries every open account
-- in) and the postings of the rebuilt months only.
-- A transaction delivered late, or re-dated by a reload, is checked again in its own month (macros/incremental.sql,
-- first_posting_month_delivered_since): that month's watermark need not move.
-- depends_on: {{ ref('stg_audit__deliveries') }}
with months as (
    {{ months_to_build(postings_from={'core': source('core', 'transactions'),
                                      'cards': source('cards', 'card_transactions')}) }}
),

first_core_delivery as (
    select min(business_date) as first_on
    from {{ ref('stg_audit__deliveries') }}
    where source_system = 'core'
),

accounts as (
    select account_id, balance_side_code, opened_on
    from {{ ref('int_accounts') }}
    where account_source = 'core'
),

balance_rows as (
    select b.account_no, b.balance_on, b.balance
    from {{ ref('stg_core__balances') }} as b
    {% if is_incremental() -%}
    where b.balance_on >= {{ add_months('(select min(month_start) from months)', -1) }}
    {%- endif %}
),

postings as (
    select
        t.account_no,
        t.txn_on as balance_on,
        sum(
            case when (t.dr_cr_code = 'C') = (coalesce(a.balance_side_code, 'L') <> 'A') then t.amount
                else -t.amount end
            + case when coalesce(a.balance_side_code, 'L') = 'A' then t.fee_amount else -t.fee_amount end
        ) as posted_amount
    from {{ ref('stg_core__transactions') }} as t
    left join accounts as a on a.account_id = t.account_no
    where {{ since_first_rebuilt_month('t.txn_on', 'months') }}
    group by t.account_no, t.txn_on
),

account_days as (
    select
        coalesce(b.account_no, p.account_no) as account_id,
        coalesce(b.balance_on, p.balance_on) as balance_on,
        b.balance,
        coalesce(p.posted_amount, 0) as posted_amount
    from balance_rows as b
    full outer join postings as p on p.account_no = b.account_no and p.balance_on = b.balance_on
),

chained as (
    select
        *,
        {{ last_non_null('balance') }} over (
            partition by account_id order by balance_on rows between unbounded preceding and 1 preceding
        ) as carried_balance,
        -- the day of the carried balance: its last non-null date in date order, which is the latest; the same window
        -- function twice over one frame costs less than a framed max beside it (int_balance_continuity_daily's
        -- window 1.9 -> 1.6 CPU s at scale 0.3, issue 12)
        {{ last_non_null('case when balance is not null then balance_on end') }} over (
            partition by account_id order by balance_on rows between unbounded preceding and 1 preceding
        ) as previous_balance_on
    from account_days
),

core_days as (
    select
        {{ month_start('c.balance_on') }} as month_start,
        c.account_id,
        'core' as account_source,
        c.balance_on,
        c.previous_balance_on,
        cast(case when c.previous_balance_on is not null then c.carried_balance else 0 end as decimal(18, 2))
            as previous_closing_balance,
        cast(c.posted_amount as decimal(18, 2)) as posted_amount,
        cast(coalesce(c.balance, c.carried_balance, 0) as decimal(18, 2)) as closing_balance
    from chained as c
    left join accounts as a on a.account_id = c.account_id
    cross join first_core_delivery as f
    -- a baseline exists: an earlier row, or an account opened inside the delivered history (it starts from 0.00)
    where (c.previous_balance_on is not null or a.opened_on >= f.first_on)
),

card_statements as (
    select
        c.month_start,
        c.account_id,
        c.statement_on,
        c.opening_balance,
        c.closing_balance,
        c.rebuilt_closing_balance - c.opening_balance as posted_amount,
        lag(c.closing_balance) over (partition by c.account_id order by c.statement_on) as previous_closing_balance,
        lag(c.statement_on) over (partition by c.account_id order by c.statement_on) as previous_statement_on
    from {{ ref('int_card_balances_monthly') }} as c
    {% if is_incremental() -%}
    where c.month_start >= {{ add_months('(select min(month_start) from months)', -1) }}
    {%- endif %}
),

card_days as (
    select
        month_start,
        account_id,
        'cards' as account_source,
        statement_on as balance_on,
        previous_statement_on as previous_balance_on,
        cast(coalesce(previous_closing_balance, opening_balance) as decimal(18, 2)) as previous_closing_balance,
        cast(posted_amount as decimal(18, 2)) as posted_amount,
        closing_balance
    from card_statements
),

unioned as (
    select * from core_days
    union all
    select * from card_days
),

final as (
    select
        u.month_start,
        u.account_id,
        u.account_source,
        u.balance_on,
        u.previous_balance_on,
        u.previous_closing_balance,
        u.posted_amount,
        cast(u.previous_closing_balance + u.posted_amount as decimal(18, 2)) as expected_closing_balance,
        u.closing_balance,
        cast(u.closing_balance - (u.previous_closing_balance + u.posted_amount) as decimal(18, 2)) as difference,
        abs(u.closing_balance - (u.previous_closing_balance + u.posted_amount))
            > {{ param('balance_continuity_tolerance') }} as is_break,
        months._max_batch_id
    from unioned as u
    inner join months on months.month_start = u.month_start
)

select * from final
