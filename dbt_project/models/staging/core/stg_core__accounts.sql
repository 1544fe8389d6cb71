-- Deposit, loan and wealth accounts, the latest delivered version of each.
with source as (
    select *
    from {{ source('core', 'accounts') }}
    where _batch_id in {{ loaded_batches('core') }}
    qualify row_number() over (partition by account_no order by {{ latest_delivery_order() }}) = 1
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
        {{ decode('rate_type', 'core.accounts.rate_type') }} as rate_type_name,
        cast(term_months as integer) as term_months,
        cast(repricing_months as integer) as repricing_months,
        account_status as account_status_code,
        {{ decode('account_status', 'core.accounts.account_status') }} as account_status_name,
        last_update_date as last_updated_on,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
