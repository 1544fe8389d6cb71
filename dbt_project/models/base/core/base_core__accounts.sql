-- The raw core.accounts rows of LOADED deliveries, renamed and typed: deposit, loan and wealth accounts.
with source as (
    select *
    from {{ source('core', 'accounts') }}
    where _batch_id in {{ loaded_batches('core') }}
),

renamed as (
    select
        account_no,
        cif_no,
        product_code,
        branch_code,
        currency as currency_code,
        open_date as opened_on,
        maturity_date as matures_on,
        close_date as closed_on,
        interest_rate as contract_rate,
        rate_type as rate_type_code,
        cast(term_months as integer) as term_months,
        cast(repricing_months as integer) as repricing_months,
        account_status as account_status_code,
        last_update_date as last_updated_on,
        value_date as value_on,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
