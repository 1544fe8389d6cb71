-- Product catalogue: product line → category → product, latest delivered version of each product.
with source as (
    {{ latest_delivered_rows(ref('base_ref__products'), ['product_code']) }}
),

renamed as (
    select
        product_code,
        product_name,
        category_code,
        category_name,
        product_line_code,
        {{ decode('product_line_code', 'ref.products.product_line', 'zh') }} as product_line_name,
        balance_side_code,
        {{ decode('balance_side_code', 'ref.products.balance_side') }} as balance_side_name,
        eligible_customer_type_code,
        {{ decode('eligible_customer_type_code', 'ref.products.customer_type') }} as eligible_customer_type_name,
        is_term_product,
        standard_term_months,
        list_rate,
        gl_interest_account_code,
        gl_fee_account_code,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
