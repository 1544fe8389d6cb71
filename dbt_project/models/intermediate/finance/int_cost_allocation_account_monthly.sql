-- depends_on: {{ ref('int_month_watermarks') }}
-- Cost allocation, stage 2: what each branch received for an activity (stage 1, summed over cost centres) → the
-- accounts of that branch and customer type that performed the activity, in proportion to their volume, exactly to
-- the cent (largest remainder), each cost layer (DIRECT, INDIRECT, OVERHEAD) on its own. Grain: month × account ×
-- activity × cost layer. Residual lines stay in stage 1.
with received as (
    select
        month_start,
        receiving_branch_code as branch_code,
        activity_code,
        cost_layer,
        customer_type_code,
        sum(allocated_amount) as received_amount,
        any_value(_max_batch_id) as _max_batch_id
    from {{ ref('int_cost_allocation_branch_monthly') }}
    where activity_code <> 'RESIDUAL'
      and {{ months_to_rebuild() }}
    group by all
),

performers as (
    select
        v.month_start,
        v.account_id,
        v.activity_code,
        v.branch_code,
        v.customer_type_code,
        received.cost_layer,
        v.volume,
        received.received_amount,
        received._max_batch_id
    from {{ ref('int_activity_volumes_monthly') }} as v
    inner join received
        on received.month_start = v.month_start
       and received.branch_code = v.branch_code
       and received.activity_code = v.activity_code
       and received.customer_type_code is not distinct from v.customer_type_code
    where v.volume > 0
),

allocated as (
    {{ allocate_cents('performers', 'received_amount', 'volume',
                      ['month_start', 'branch_code', 'activity_code', 'customer_type_code', 'cost_layer'],
                      ['account_id']) }}
),

final as (
    select
        month_start,
        account_id,
        activity_code,
        cost_layer,
        branch_code,
        customer_type_code,
        volume,
        allocated_amount,
        _max_batch_id
    from allocated
)

select * from final
