-- Deposit, loan and wealth accounts, the latest delivered version of each.
with source as (
    {{ latest_delivered_rows(ref('base_core__accounts'), ['account_no']) }}
),

renamed as (
    select
        account_no,
        cif_no,
        product_code,
        branch_code,
        currency_code,
        opened_on,
        matures_on,
        closed_on,
        contract_rate,
        rate_type_code,
        {{ decode('rate_type_code', 'core.accounts.rate_type') }} as rate_type_name,
        term_months,
        repricing_months,
        account_status_code,
        {{ decode('account_status_code', 'core.accounts.account_status') }} as account_status_name,
        last_updated_on,
        value_on,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
