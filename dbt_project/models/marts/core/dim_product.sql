-- Products with their hierarchy: product line → category → product.
with products as (
    select * from {{ ref('stg_ref__products') }}
),

final as (
    select
        product_code,
        product_name,
        category_code,
        category_name,
        product_line_code,
        product_line_name,
        balance_side_code,
        balance_side_name,
        eligible_customer_type_code,
        is_term_product,
        standard_term_months,
        list_rate,
        case
            when balance_side_code = 'O' then 'none'
            when is_term_product then 'matched_maturity'
            else 'behavioural'
        end as default_ftp_method,
        gl_interest_account_code,
        gl_fee_account_code
    from products
),

-- the unknown member (macros/unknown_member.sql): the row a fact without this dimension's key points at, its
-- columns in the order of final (a positional union: Spark has no UNION BY NAME)
unknown_member as (
    select
        {{ unknown_key() }} as product_code,
        {{ unknown_label() }} as product_name,
        null as category_code,
        {{ unknown_label() }} as category_name,
        null as product_line_code,
        {{ unknown_label() }} as product_line_name,
        null as balance_side_code,
        {{ unknown_label() }} as balance_side_name,
        null as eligible_customer_type_code,
        null as is_term_product,
        null as standard_term_months,
        null as list_rate,
        null as default_ftp_method,
        null as gl_interest_account_code,
        null as gl_fee_account_code
)

select * from final
union all
select * from unknown_member
