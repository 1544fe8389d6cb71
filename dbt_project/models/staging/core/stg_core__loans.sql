{{
    config(
        materialized='incremental',
        unique_key=['loan_account_no', 'snapshot_on']
    )
}}
-- depends_on: {{ ref('stg_audit__deliveries') }}
-- Loan risk snapshots: the loans extract is a full snapshot every day, so each (loan, business date) is one row.
-- Incremental: each run adds the new daily snapshots.
with source as (
    {{ latest_delivered_rows(ref('base_core__loans'), ['loan_account_no', '_business_date']) }}
),

renamed as (
    select
        loan_account_no,
        _business_date as snapshot_on,
        contract_no,
        cif_no,
        principal_amount,
        outstanding_principal,
        credit_limit,
        contract_rate,
        repayment_method_code,
        {{ decode('repayment_method_code', 'core.loans.repayment_method') }} as repayment_method_name,
        collateral_type_code,
        {{ decode('collateral_type_code', 'core.loans.collateral_type') }} as collateral_type_name,
        collateral_value,
        five_class_code,
        {{ decode('five_class_code', 'core.loans.five_class') }} as five_class_name,
        days_past_due,
        probability_of_default,
        loss_given_default,
        matures_on,
        as_of_on,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
