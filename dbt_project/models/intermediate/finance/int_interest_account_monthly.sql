-- Interest per account and month in CNY: core accruals (income or expense by the role of the GL account they post
-- to) converted at the month-end rate, credit card revolving interest posted by the card system in the month, and
-- the overdraft interest imputed on overdrawn deposits (below).
-- The general ledger books the same sums: tests/reconciliation/assert_interest_reconciles_to_gl.sql.
with months as (
    {{ months_to_build(['rate_on']) }}
),

gl_roles as (
    select gl_account_code, gl_role from {{ ref('stg_accounting__chart_of_accounts') }}
),

core_accruals as (
    select
        a.month_start,
        a.account_no as account_id,
        a.currency_code,
        a.accrued_interest,
        fx.cny_per_unit,
        {{ to_cny('a.accrued_interest', 'fx.cny_per_unit') }} as interest_cny,
        coalesce(gl_roles.gl_role, 'unmapped') as gl_role
    from {{ ref('stg_core__interest_accruals') }} as a
    inner join months on months.month_start = a.month_start
    left join gl_roles on gl_roles.gl_account_code = a.gl_account_code
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.currency_code = a.currency_code
       and fx.rate_on = months.rate_on
),

card_interest as (
    select
        months.month_start,
        t.card_no as account_id,
        sum({{ to_cny('case when t.is_reversal then -t.amount else t.amount end', 'fx.cny_per_unit') }})
            as interest_cny
    from {{ ref('stg_cards__card_transactions') }} as t
    inner join months on months.month_start = {{ month_start('t._delivered_on') }}
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.currency_code = t.currency_code and fx.rate_on = t.txn_on
    where t.txn_type_code = 'INT' and {{ since_first_rebuilt_month('t._delivered_on', 'months') }}
    group by months.month_start, t.card_no
),

-- Overdraft interest (透支利息): an overdrawn deposit is an asset earning the overdraft rate, ACT/360 (the deposits'
-- day count, seed product_day_counts) on each day's overdrawn balance, rounded to the cent once in account currency
-- and converted at the month's rate. Imputed by the warehouse: only where the core's accrual extract carries no
-- interest income for the account and month (a core that charges overdraft interest itself delivers it there, and it
-- counts as delivered). The ledger books what the core accrued, so the imputed amount is not in it: the interest
-- reconciliation leaves it out and the profit bridge shows it on a line of its own.
booked_income as (
    select distinct month_start, account_id from core_accruals where gl_role = 'interest_income'
),

overdraft_interest as (
    select
        b.month_start,
        b.account_id,
        {{ to_cny(divide_round(
            'b.overdrawn_balance_days * ' ~ param('overdraft_interest_rate'), 'dc.day_count_basis', 2),
            'b.cny_per_unit') }} as interest_cny
    from {{ ref('int_core_account_balances_monthly') }} as b
    inner join months on months.month_start = b.month_start
    inner join {{ ref('int_account_attributes_monthly') }} as a
        on a.month_start = b.month_start and a.account_id = b.account_id
    inner join {{ ref('product_day_counts') }} as pdc on pdc.product_line = a.product_line_code
    inner join {{ ref('day_count_conventions') }} as dc on dc.day_count_code = pdc.day_count_code
    left join booked_income as bi on bi.month_start = b.month_start and bi.account_id = b.account_id
    where b.overdrawn_balance_days > 0
      and a.product_line_code = 'DEPOSIT' and a.balance_side_code = 'L'
      and bi.account_id is null
),

unioned as (
    select
        month_start,
        account_id,
        case when gl_role = 'interest_income' then interest_cny else 0 end as interest_income,
        case when gl_role = 'interest_expense' then interest_cny else 0 end as interest_expense,
        case when gl_role not in ('interest_income', 'interest_expense') then interest_cny else 0 end
            as interest_unmapped,
        0 as overdraft_interest_income
    from core_accruals
    union all
    select month_start, account_id, interest_cny, 0, 0, 0
    from card_interest
    union all
    select month_start, account_id, interest_cny, 0, 0, interest_cny
    from overdraft_interest
),

final as (
    select
        u.month_start,
        u.account_id,
        cast(sum(u.interest_income) as decimal(18, 2)) as interest_income,
        cast(sum(u.interest_expense) as decimal(18, 2)) as interest_expense,
        cast(sum(u.interest_unmapped) as decimal(18, 2)) as interest_unmapped,
        -- the part of interest_income imputed on an overdraft (not booked in the ledger)
        cast(sum(u.overdraft_interest_income) as decimal(18, 2)) as overdraft_interest_income,
        any_value(months._max_batch_id) as _max_batch_id
    from unioned as u
    inner join months on months.month_start = u.month_start
    group by u.month_start, u.account_id
)

select * from final
