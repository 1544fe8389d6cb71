-- Deposit, loan and wealth accounts, the latest delivered version of each.
with source as (
    {{ latest_delivered_rows('core', 'accounts', ['account_no']) }}
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
