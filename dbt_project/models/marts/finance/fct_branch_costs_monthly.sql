-- depends_on: {{ ref('int_month_watermarks') }}
-- Operating cost per month × cost centre × branch: the GL operating expense booked at the cost centre (on the row of
-- its own branch), what it allocated to each branch and through which driver family, and what each branch received
-- from it. Per month and cost centre: Σ gl_operating_expense = Σ allocated_amount = the ledger
-- (tests/reconciliation/assert_allocation_reconciles_to_gl.sql). cost_layer says which contribution margin the cost
-- centre's expense is deducted in (DIRECT: CM2, INDIRECT: CM3, OVERHEAD: CM4).
with allocations as (
    select *
    from {{ ref('int_cost_allocation_branch_monthly') }}
    where {{ months_to_rebuild() }}
),

pools as (
    select *
    from {{ ref('int_cost_pools_monthly') }}
    where {{ months_to_rebuild() }}
),

by_branch as (
    select
        month_start,
        cost_centre_code,
        receiving_branch_code as branch_code,
        sum(standard_cost) as standard_cost,
        sum(allocated_amount) as allocated_amount,
        sum(case when activity_code like 'txn_%' or activity_code = 'card_txn' then allocated_amount else 0 end)
            as allocated_by_transactions,
        sum(case when activity_code in ('account_maintained', 'loan_serviced', 'card_maintained')
                 then allocated_amount else 0 end) as allocated_by_maintenance,
        sum(case when activity_code = 'rm_relationship' then allocated_amount else 0 end)
            as allocated_by_rm_relationships,
        sum(case when activity_code = 'ho_overhead' then allocated_amount else 0 end)
            as allocated_by_overhead_driver,
        sum(case when activity_code = 'RESIDUAL' then allocated_amount else 0 end) as residual_amount,
        any_value(_max_batch_id) as _max_batch_id
    from allocations
    group by all
),

-- the layer stage 1 gave the cost centre (seed cost_layers)
centre_layers as (
    select month_start, cost_centre_code, any_value(cost_layer) as cost_layer
    from allocations
    group by month_start, cost_centre_code
),

own_rows as (
    select
        month_start,
        cost_centre_code,
        {{ dimension_key('cost_centre_branch_code') }} as branch_code,
        operating_expense,
        _max_batch_id
    from pools
),

combined as (
    select
        coalesce(b.month_start, o.month_start) as month_start,
        coalesce(b.cost_centre_code, o.cost_centre_code) as cost_centre_code,
        coalesce(b.branch_code, o.branch_code) as branch_code,
        coalesce(o.operating_expense, 0) as gl_operating_expense,
        coalesce(b.standard_cost, 0) as standard_cost,
        coalesce(b.allocated_amount, 0) as allocated_amount,
        coalesce(b.allocated_by_transactions, 0) as allocated_by_transactions,
        coalesce(b.allocated_by_maintenance, 0) as allocated_by_maintenance,
        coalesce(b.allocated_by_rm_relationships, 0) as allocated_by_rm_relationships,
        coalesce(b.allocated_by_overhead_driver, 0) as allocated_by_overhead_driver,
        coalesce(b.residual_amount, 0) as residual_amount,
        o.cost_centre_code is not null as is_cost_centre_branch,
        coalesce(b._max_batch_id, o._max_batch_id) as _max_batch_id
    from by_branch as b
    full outer join own_rows as o
        on o.month_start = b.month_start and o.cost_centre_code = b.cost_centre_code and o.branch_code = b.branch_code
),

final as (
    select
        c.month_start,
        c.cost_centre_code,
        c.branch_code,
        cc.branch_code as cost_centre_branch_code,
        cc.department_code,
        cc.cost_centre_type_code,
        layers.cost_layer,
        c.is_cost_centre_branch,
        cast(c.gl_operating_expense as decimal(18, 2)) as gl_operating_expense,
        cast(c.standard_cost as decimal(18, 4)) as standard_cost,
        cast(c.allocated_amount as decimal(18, 2)) as allocated_amount,
        cast(c.allocated_by_transactions as decimal(18, 2)) as allocated_by_transactions,
        cast(c.allocated_by_maintenance as decimal(18, 2)) as allocated_by_maintenance,
        cast(c.allocated_by_rm_relationships as decimal(18, 2)) as allocated_by_rm_relationships,
        cast(c.allocated_by_overhead_driver as decimal(18, 2)) as allocated_by_overhead_driver,
        cast(c.residual_amount as decimal(18, 2)) as residual_amount,
        cast(case when c.is_cost_centre_branch then c.allocated_amount else 0 end as decimal(18, 2))
            as retained_amount,
        cast(case when c.is_cost_centre_branch then c.gl_operating_expense - c.allocated_amount else 0 end
             as decimal(18, 2)) as allocated_out_to_other_branches,
        cast(case when c.is_cost_centre_branch then 0 else c.allocated_amount end as decimal(18, 2))
            as received_amount,
        {{ month_status('c.month_start') }},
        c._max_batch_id
    from combined as c
    left join {{ ref('stg_accounting__cost_centres') }} as cc on cc.cost_centre_code = c.cost_centre_code
    left join centre_layers as layers
        on layers.month_start = c.month_start and layers.cost_centre_code = c.cost_centre_code
)

select * from final
