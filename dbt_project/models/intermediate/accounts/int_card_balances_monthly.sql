-- Credit card balances per card and month from the monthly statement: the card system delivers no daily balance,
-- so the average balance is the mean of the statement's opening and closing balance (rounded to the cent).
with months as (
    {{ months_to_build() }}
),

statements as (
    select s.*
    from {{ ref('stg_cards__card_statements') }} as s
    inner join months on months.month_start = s.month_start
),

final as (
    select
        s.month_start,
        s.card_no as account_id,
        'CNY' as currency_code,
        s.statement_on,
        s.opening_balance,
        s.closing_balance,
        s.revolving_balance,
        s.interest_charged,
        s.fees_charged,
        s.days_past_due,
        cast({{ divide_round('cast(s.opening_balance as decimal(38, 2)) + s.closing_balance', 2, 2) }}
            as decimal(18, 2)) as average_daily_balance,
        months._max_batch_id
    from statements as s
    inner join months on months.month_start = s.month_start
)

select * from final
