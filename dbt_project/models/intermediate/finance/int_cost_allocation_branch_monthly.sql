-- depends_on: {{ ref('int_month_watermarks') }}
-- Cost allocation, stage 1: each cost centre's GL operating expense of the month → the branches it serves, by
-- activity (docs/methodology.md, "Cost allocation").
--   scope     the accounts of the branches at or below the cost centre's own branch (a sub-branch's direct cost
--             stays with it; a head-office centre serves the whole bank), restricted to the activities and customer
--             types of the cost centre's department (seed cost_centre_drivers);
--   weights   activity volume × standard unit cost (seed unit_costs) = the standard cost of what each branch did;
--   amounts   the pool is split in proportion to standard cost, exactly to the cent (largest remainder), so the
--             allocated total equals the ledger whatever the unit costs are;
--   residual  a pool with no activity in scope (or a cost centre missing from the cost-centre list) lands on a
--             residual line at the cost centre's own branch (activity_code RESIDUAL): no yuan is lost;
--   layer     each line carries the cost layer of its cost centre (seed cost_layers: DIRECT, INDIRECT, OVERHEAD; a
--             centre of no listed department and type counts as INDIRECT), which decides the contribution margin
--             (CM2, CM3, CM4) it is deducted in. Head-office overhead (administration) is allocated through the
--             activity ho_overhead, whose volume is the driver of seed overhead_allocation
--             (int_activity_volumes_monthly).
with pools as (
    select
        p.*,
        coalesce(layers.cost_layer, 'INDIRECT') as cost_layer
    from {{ ref('int_cost_pools_monthly') }} as p
    left join {{ ref('cost_layers') }} as layers
        on layers.department_code = p.department_code and layers.cost_centre_type = p.cost_centre_type_code
    where {{ months_to_rebuild('p.month_start') }}
),

volumes as (
    select v.*
    from {{ ref('int_activity_volumes_monthly') }} as v
    where v.month_start in (select month_start from pools)
),

branch_activity as (
    select
        month_start,
        branch_code,
        activity_code,
        customer_type_code,
        sum(volume) as volume
    from volumes
    group by all
),

in_scope as (
    select
        pools.month_start,
        pools.cost_centre_code,
        pools.cost_layer,
        pools.operating_expense,
        ba.branch_code as receiving_branch_code,
        ba.activity_code,
        ba.customer_type_code,
        ba.volume,
        cast(ba.volume * uc.unit_cost_cny as decimal(18, 4)) as standard_cost,
        pools._max_batch_id
    from pools
    inner join {{ ref('cost_centre_drivers') }} as drivers
        on drivers.department_code = pools.department_code
    inner join {{ ref('int_branch_hierarchy') }} as tree
        on tree.month_start = pools.month_start and tree.ancestor_branch_code = pools.cost_centre_branch_code
    inner join branch_activity as ba
        on ba.month_start = pools.month_start
       and ba.branch_code = tree.branch_code
       and ba.activity_code = drivers.activity_code
       and (drivers.customer_type = 'ALL' or drivers.customer_type = ba.customer_type_code)
    inner join {{ ref('unit_costs') }} as uc on uc.activity_code = ba.activity_code
    where ba.volume > 0
),

allocated as (
    {{ allocate_cents('in_scope', 'operating_expense', 'standard_cost',
                      ['month_start', 'cost_centre_code'],
                      ['receiving_branch_code', 'activity_code', 'customer_type_code']) }}
),

residual as (
    select
        pools.month_start,
        pools.cost_centre_code,
        pools.cost_layer,
        pools.operating_expense,
        {{ dimension_key('pools.cost_centre_branch_code') }} as receiving_branch_code,
        'RESIDUAL' as activity_code,
        cast(null as string) as customer_type_code,
        cast(0 as decimal(18, 6)) as volume,
        cast(0 as decimal(18, 4)) as standard_cost,
        pools._max_batch_id,
        pools.operating_expense as allocated_amount
    from pools
    where not exists (
        select 1 from in_scope
        where in_scope.month_start = pools.month_start
          and in_scope.cost_centre_code = pools.cost_centre_code
          and in_scope.standard_cost > 0
    )
),

{%- set final_columns = [
    'month_start', 'cost_centre_code', 'cost_layer', 'receiving_branch_code', 'activity_code', 'customer_type_code', 'volume',
    'standard_cost', 'allocated_amount', '_max_batch_id',
] %}

final as (
    select {{ final_columns | join(', ') }} from allocated
    union all
    select {{ final_columns | join(', ') }} from residual
)

select * from final
