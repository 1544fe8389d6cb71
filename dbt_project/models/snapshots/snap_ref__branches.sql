-- SCD2 history of the branch hierarchy (name, level, parent, city, status). Branches come as a full snapshot every
-- day: a branch missing from a snapshot has its version ended on that business date.
{% set tracked = ['branch_name', 'branch_level_code', 'parent_branch_code', 'city', 'branch_status_code', 'closed_on'] %}

{% set delivered_rows %}
    select
        branch_code,
        branch_name,
        branch_level_code,
        parent_branch_code,
        city,
        branch_status_code,
        closed_on,
        _business_date
    from {{ ref('base_ref__branches') }}
    qualify row_number() over (partition by branch_code, _business_date order by _batch_id desc, _line_number desc) = 1
{% endset %}

-- depends_on: {{ ref('stg_audit__deliveries') }}
-- depends_on: {{ ref('base_audit__delivery_files') }}
{% set delivery_dates %}
    {{ extract_delivery_dates('ref.branches') }}
{% endset %}

with history as (
    {{ scd2_history(delivered_rows, ['branch_code'], tracked, delivery_dates) }}
),

final as (
    select
        {{ surrogate_key(['branch_code', 'valid_from']) }} as branch_version_key,
        *
    from history
)

select * from final
