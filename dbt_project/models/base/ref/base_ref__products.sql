-- The raw ref.products rows of LOADED deliveries, renamed and typed: the product catalogue.
with source as (
    select *
    from {{ source('ref', 'products') }}
    where _batch_id in {{ loaded_batches('ref') }}
),

renamed as (
    select
        product_code,
        product_name,
        category_code,
        category_name,
        product_line as product_line_code,
        balance_side as balance_side_code,
        customer_type as eligible_customer_type_code,
        is_term = 'Y' as is_term_product,
        term_months as standard_term_months,
        base_rate as list_rate,
        gl_interest_account as gl_interest_account_code,
        gl_fee_account as gl_fee_account_code,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
