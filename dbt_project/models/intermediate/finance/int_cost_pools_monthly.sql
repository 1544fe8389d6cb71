-- Operating expense booked in the general ledger per month and cost centre (debits minus credits on the accounts
-- whose role is operating_expense, seed gl_account_roles): the pools the cost allocation spreads.
with months as (
    {{ months_to_build() }}
),

entries as (
    select e.month_start, e.cost_centre_code, e.debit_amount_signed
    from {{ ref('stg_accounting__ledger_entries') }} as e
    inner join {{ ref('stg_accounting__chart_of_accounts') }} as coa on coa.gl_account_code = e.gl_account_code
    where coa.gl_role = 'operating_expense'
),

final as (
    select
        e.month_start,
        e.cost_centre_code,
        cc.branch_code as cost_centre_branch_code,
        cc.department_code,
        cc.cost_centre_type_code,
        cast(sum(e.debit_amount_signed) as decimal(18, 2)) as operating_expense,
        any_value(months._max_batch_id) as _max_batch_id
    from entries as e
    inner join months on months.month_start = e.month_start
    left join {{ ref('stg_accounting__cost_centres') }} as cc on cc.cost_centre_code = e.cost_centre_code
    group by all
)

select * from final
