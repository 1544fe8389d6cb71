-- SCD2 history of the shared-credit agreements (分润): who shares each customer, in which role and with what share,
-- on business dates. The extract is a full snapshot every day: an agreement missing from a snapshot has its version
-- ended on that business date. Read by int_rm_credit_monthly.
{% set tracked = ['rm_role_code', 'share_ratio', 'started_on'] %}

{% set delivered_rows %}
    select
        cif_no,
        rm_id,
        rm_role_code,
        share_ratio,
        started_on,
        _business_date
    from {{ ref('base_core__customer_rm_shares') }}
    qualify row_number() over (partition by cif_no, rm_id, _business_date order by _batch_id desc, _line_number desc) = 1
{% endset %}

-- depends_on: {{ ref('stg_audit__deliveries') }}
-- depends_on: {{ ref('base_audit__delivery_files') }}
{% set delivery_dates %}
    {{ extract_delivery_dates('core.customer_rm_shares') }}
{% endset %}

with history as (
    {{ scd2_history(delivered_rows, ['cif_no', 'rm_id'], tracked, delivery_dates) }}
),

final as (
    select
        {{ surrogate_key(['cif_no', 'rm_id', 'valid_from']) }} as share_version_key,
        *
    from history
)

select * from final
