-- The raw core.loans rows of LOADED deliveries, renamed and typed: daily loan risk snapshots.
with source as (
    select *
    from {{ source('core', 'loans') }}
    where _batch_id in {{ loaded_batches('core') }}
),

renamed as (
    select
        loan_account_no,
        contract_no,
        cif_no,
        principal_amount,
        outstanding_principal,
        credit_limit,
        interest_rate as contract_rate,
        repayment_method as repayment_method_code,
        collateral_type as collateral_type_code,
        collateral_value,
        five_class as five_class_code,
        cast(days_past_due as integer) as days_past_due,
        pd as probability_of_default,
        lgd as loss_given_default,
        maturity_date as matures_on,
        as_of_date as as_of_on,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
