-- SCD2 history of the RM roster (branch, type, grade, status). The roster comes as a full snapshot every day: an RM
-- missing from a snapshot has the version ended on that business date.
{% set tracked = ['branch_code', 'rm_type_code', 'rm_grade_code', 'rm_status_code', 'left_on'] %}

{% set delivered_rows %}
    select
        rm_id,
        branch_code,
        rm_type_code,
        rm_grade_code,
        rm_status_code,
        left_on,
        _business_date
    from {{ ref('base_ref__relationship_managers') }}
    qualify row_number() over (partition by rm_id, _business_date order by _batch_id desc, _line_number desc) = 1
{% endset %}

-- depends_on: {{ ref('stg_audit__deliveries') }}
-- depends_on: {{ ref('base_audit__delivery_files') }}
{% set delivery_dates %}
    {{ extract_delivery_dates('ref.relationship_managers') }}
{% endset %}

with history as (
    {{ scd2_history(delivered_rows, ['rm_id'], tracked, delivery_dates) }}
),

final as (
    select
        {{ surrogate_key(['rm_id', 'valid_from']) }} as rm_version_key,
        *
    from history
)

select * from final
