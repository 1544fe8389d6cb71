-- Branches (current version) with the hierarchy flattened: head office → region → branch → sub-branch. History of
-- each branch is in snapshots.snap_ref__branches.
with branches as (
    select * from {{ ref('stg_ref__branches') }}
),

ancestors as (
    select
        tree.branch_code,
        max(case when a.branch_level_code = 'HO' then a.branch_code end) as head_office_code,
        max(case when a.branch_level_code = 'HO' then a.branch_name end) as head_office_name,
        max(case when a.branch_level_code = 'REGION' then a.branch_code end) as region_code,
        max(case when a.branch_level_code = 'REGION' then a.branch_name end) as region_name,
        max(case when a.branch_level_code = 'BRANCH' then a.branch_code end) as level3_branch_code,
        max(case when a.branch_level_code = 'BRANCH' then a.branch_name end) as level3_branch_name,
        max(case when a.branch_level_code = 'SUB' then a.branch_code end) as sub_branch_code,
        max(case when a.branch_level_code = 'SUB' then a.branch_name end) as sub_branch_name
    from {{ ref('int_branch_hierarchy') }} as tree
    inner join branches as a on a.branch_code = tree.ancestor_branch_code
    where tree.month_start = (select max(month_start) from {{ ref('int_branch_hierarchy') }})
    group by tree.branch_code
),

final as (
    select
        b.branch_code,
        b.branch_name,
        b.branch_level_code,
        b.branch_level_name,
        case b.branch_level_code when 'HO' then 1 when 'REGION' then 2 when 'BRANCH' then 3 else 4 end
            as hierarchy_depth,
        b.parent_branch_code,
        a.head_office_code,
        a.head_office_name,
        a.region_code,
        a.region_name,
        a.level3_branch_code,
        a.level3_branch_name,
        a.sub_branch_code,
        a.sub_branch_name,
        b.city,
        b.opened_on,
        b.closed_on,
        b.branch_status_code,
        b.branch_status_name,
        b.branch_status_code = 'A' as is_open
    from branches as b
    left join ancestors as a on a.branch_code = b.branch_code
),

-- the unknown member (macros/unknown_member.sql): the row a fact without this dimension's key points at, its
-- columns in the order of final (a positional union: Spark has no UNION BY NAME)
unknown_member as (
    select
        {{ unknown_key() }} as branch_code,
        {{ unknown_label() }} as branch_name,
        null as branch_level_code,
        {{ unknown_label() }} as branch_level_name,
        null as hierarchy_depth,
        null as parent_branch_code,
        null as head_office_code,
        {{ unknown_label() }} as head_office_name,
        null as region_code,
        {{ unknown_label() }} as region_name,
        null as level3_branch_code,
        {{ unknown_label() }} as level3_branch_name,
        null as sub_branch_code,
        {{ unknown_label() }} as sub_branch_name,
        {{ unknown_label() }} as city,
        null as opened_on,
        null as closed_on,
        null as branch_status_code,
        {{ unknown_label() }} as branch_status_name,
        false as is_open
)

select * from final
union all
select * from unknown_member
