{{ config(materialized='table') }}
-- Every account or card of a marketed product family (seed product_families: term deposit, wealth product, credit
-- card, consumer loan, mortgage) a personal party opened, with the month it opened in: the events the next-best-product
-- labels count (int_nbp_labels_monthly). Rebuilt in full: an opening belongs to whichever month end it follows.
with families as (
    select category_code, product_family_code from {{ ref('product_families') }}
),

final as (
    select
        a.party_id,
        a.account_id,
        f.product_family_code,
        a.product_code,
        a.opened_on,
        {{ month_start('a.opened_on') }} as opened_month
    from {{ ref('int_accounts') }} as a
    inner join families as f on f.category_code = a.category_code
    where a.customer_type_code = 'P'
)

select * from final
