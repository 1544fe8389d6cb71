-- For every complete month, the month-end balance of each core account in fct_account_balances_monthly is the balance
-- the core system delivered for that account on the month end (every open account has a row on a month end).
with month_end_rows as (
    select b.account_no, b.balance_date, b.balance
    from {{ source('core', 'balances') }} as b
    inner join {{ ref('int_month_watermarks') }} as w
        on w.is_complete and b.balance_date = w.month_end and {{ months_rebuilt_by_this_build('w.month_start') }}
    where b._batch_id in {{ loaded_batches('core') }}
    qualify row_number() over (partition by b.account_no, b.balance_date order by {{ latest_delivery_order() }}) = 1
)

select r.account_no, r.balance_date, r.balance, f.month_end_balance
from month_end_rows as r
left join {{ ref('fct_account_balances_monthly') }} as f
    on f.account_id = r.account_no and f.month_start = {{ month_start('r.balance_date') }}
where f.month_end_balance is distinct from r.balance
  and not (f.account_id is null and r.balance = 0)
