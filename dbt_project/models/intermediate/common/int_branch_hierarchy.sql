{{ config(materialized='table') }}
-- The branch tree of each month as a closure: every branch with each of its ancestors (itself included, depth 0),
-- from the branch versions valid on the month's last observed day (snapshots.snap_ref__branches), so that a month's
-- cost allocation keeps the tree it had even after branches are merged or moved later.
with recursive months as (
    {{ months_to_build(['as_of_on']) }}
),

branches as (
    select months.month_start, b.branch_code, b.parent_branch_code
    from months
    inner join {{ ref('snap_ref__branches') }} as b
        on months.as_of_on >= b.valid_from and months.as_of_on < b.valid_to
),

closure (month_start, branch_code, ancestor_branch_code, depth) as (
    select month_start, branch_code, branch_code, 0
    from branches
    union all
    select closure.month_start, closure.branch_code, branches.parent_branch_code, closure.depth + 1
    from closure
    inner join branches
        on branches.month_start = closure.month_start and branches.branch_code = closure.ancestor_branch_code
    where branches.parent_branch_code is not null and closure.depth < 10
),

final as (
    select month_start, branch_code, ancestor_branch_code, depth
    from closure
)

select * from final
