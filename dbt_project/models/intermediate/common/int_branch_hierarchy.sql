-- The branch tree as a closure: every branch with each of its ancestors (itself included, depth 0). Cost allocation
-- spreads a cost centre's expense over the accounts of the branches below its own branch.
with recursive branches as (
    select branch_code, parent_branch_code
    from {{ ref('stg_ref__branches') }}
),

closure (branch_code, ancestor_branch_code, depth) as (
    select branch_code, branch_code, 0
    from branches
    union all
    select closure.branch_code, branches.parent_branch_code, closure.depth + 1
    from closure
    inner join branches on branches.branch_code = closure.ancestor_branch_code
    where branches.parent_branch_code is not null and closure.depth < 10
),

final as (
    select branch_code, ancestor_branch_code, depth
    from closure
)

select * from final
