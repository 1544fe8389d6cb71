-- SCD2 history of core customers' tracked attributes (type, home branch, RM, risk rating, status, household, group,
-- industry, enterprise size class), one version per change, keyed on the business date of the delivery that carried
-- the change.
{% set tracked = ['customer_type_code', 'home_branch_code', 'rm_id', 'risk_rating_code', 'customer_status_code',
                  'household_code', 'group_code', 'industry_code', 'enterprise_scale_code', 'closed_on'] %}

{% set delivered_rows %}
    select
        cif_no,
        customer_type_code,
        home_branch_code,
        rm_id,
        risk_rating_code,
        customer_status_code,
        household_code,
        group_code,
        industry_code,
        enterprise_scale_code,
        closed_on,
        _business_date
    from {{ ref('base_core__customers') }}
    qualify row_number() over (partition by cif_no, _business_date order by _batch_id desc, _line_number desc) = 1
{% endset %}

with history as (
    {{ scd2_history(delivered_rows, ['cif_no'], tracked) }}
),

final as (
    select
        {{ surrogate_key(['cif_no', 'valid_from']) }} as customer_version_key,
        *
    from history
)

select * from final
