-- SCD2 history of core accounts' changing attributes (product, branch, status, rate and terms, close date), keyed on
-- the business date of the delivery that carried the change. Month-level models read the version valid in the month.
{% set tracked = ['product_code', 'branch_code', 'account_status_code', 'contract_rate', 'rate_type_code',
                  'term_months', 'repricing_months', 'matures_on', 'closed_on', 'value_on'] %}

{% set delivered_rows %}
    select
        account_no,
        product_code,
        branch_code,
        account_status_code,
        contract_rate,
        rate_type_code,
        term_months,
        repricing_months,
        matures_on,
        closed_on,
        value_on,
        _business_date
    from {{ ref('base_core__accounts') }}
    qualify row_number() over (partition by account_no, _business_date order by _batch_id desc, _line_number desc) = 1
{% endset %}

with history as (
    {{ scd2_history(delivered_rows, ['account_no'], tracked) }}
),

final as (
    select
        {{ surrogate_key(['account_no', 'valid_from']) }} as account_version_key,
        *
    from history
)

select * from final
