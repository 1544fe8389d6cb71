{{
    config(
        materialized='incremental',
        incremental_strategy='replace_loaded',
        unique_key=['loan_account_no', 'snapshot_on'],
        source_system='core',
        on_schema_change='fail'
    )
}}
-- Loan risk snapshots: the loans extract is a full snapshot every day, so each (loan, business date) is one row.
-- Incremental: each run adds the new daily snapshots.
with source as (
    {{ latest_delivered_rows('core', 'loans', ['loan_account_no', '_business_date']) }}
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
        interest_rate as contract_rate,
        repayment_method as repayment_method_code,
        {{ decode('repayment_method', 'core.loans.repayment_method') }} as repayment_method_name,
        collateral_type as collateral_type_code,
        {{ decode('collateral_type', 'core.loans.collateral_type') }} as collateral_type_name,
        five_class as five_class_code,
        {{ decode('five_class', 'core.loans.five_class') }} as five_class_name,
        cast(days_past_due as integer) as days_past_due,
        pd as probability_of_default,
        lgd as loss_given_default,
        maturity_date as matures_on,
        as_of_date as as_of_on,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
