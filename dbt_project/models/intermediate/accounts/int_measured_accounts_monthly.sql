-- The accounts that had anything to measure in a month (a balance, interest, fees, allocated cost, a credit
-- exposure or a provision movement), with the keys the monthly facts carry: owner party, product, account branch and the party's RM as of the
-- month's last observed day.
with months as (
    {{ months_to_build(['as_of_on']) }}
),

measured as (
    select month_start, account_id from {{ ref('int_core_account_balances_monthly') }}
    where {{ since_first_rebuilt_month('month_start', 'months') }}
    union
    select month_start, account_id from {{ ref('int_card_balances_monthly') }}
    where {{ since_first_rebuilt_month('month_start', 'months') }}
    union
    select month_start, account_id from {{ ref('int_interest_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', 'months') }}
    union
    select month_start, account_id from {{ ref('int_fee_income_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', 'months') }}
    union
    select month_start, account_id from {{ ref('int_cost_allocation_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', 'months') }}
    union
    select month_start, account_id from {{ ref('int_risk_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', 'months') }}
    union
    select month_start, account_id from {{ ref('int_credit_cost_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', 'months') }}
),

final as (
    select
        months.month_start,
        m.account_id,
        a.account_source,
        a.party_id,
        a.customer_type_code,
        a.product_code,
        a.product_line_code,
        a.balance_side_code,
        a.branch_code,
        a.currency_code,
        pa.rm_id,
        pa.home_branch_code,
        months.as_of_on,
        months._max_batch_id
    from measured as m
    inner join months on months.month_start = m.month_start
    inner join {{ ref('int_account_attributes_monthly') }} as a
        on a.month_start = m.month_start and a.account_id = m.account_id
    left join {{ ref('int_party_attributes_monthly') }} as pa
        on pa.month_start = m.month_start and pa.party_id = a.party_id
)

select * from final
