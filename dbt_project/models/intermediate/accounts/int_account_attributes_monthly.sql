-- Every account opened by a month's last observed day, with the attributes valid on the month's last observed day
-- (SCD2 versions of core accounts and cards): month-level models take branch, product, terms and limits from here so
-- that a month computed in a daily build and the same month recomputed later agree.
with months as (
    {{ months_to_build(['as_of_on']) }}
),

accounts as (
    select * from {{ ref('int_accounts') }}
),

products as (
    select * from {{ ref('stg_ref__products') }}
),

versioned as (
    select
        months.month_start,
        months.as_of_on,
        months._max_batch_id,
        a.account_id,
        a.account_source,
        a.party_id,
        a.source_customer_no,
        a.customer_type_code,
        coalesce(av.product_code, cv.product_code, a.product_code) as product_code,
        coalesce(av.branch_code, cv.branch_code, a.branch_code) as branch_code,
        a.currency_code,
        a.opened_on,
        case
            when av.account_no is not null then av.closed_on
            when cv.card_no is not null then cv.closed_on
            else a.closed_on
        end as closed_on,
        coalesce(av.matures_on, cv.expires_on, a.matures_on) as matures_on,
        coalesce(av.contract_rate, a.contract_rate) as contract_rate,
        coalesce(av.rate_type_code, a.rate_type_code) as rate_type_code,
        coalesce(av.term_months, a.term_months) as contract_term_months,
        coalesce(av.repricing_months, a.repricing_months) as repricing_months,
        a.card_type_code,
        coalesce(cv.credit_limit, a.credit_limit) as credit_limit
    from months
    inner join accounts as a on a.opened_on <= months.as_of_on
    left join {{ ref('snap_core__accounts') }} as av
        on a.account_source = 'core' and av.account_no = a.account_id
       and months.as_of_on >= av.valid_from and months.as_of_on < av.valid_to
    left join {{ ref('snap_cards__cards') }} as cv
        on a.account_source = 'cards' and cv.card_no = a.account_id
       and months.as_of_on >= cv.valid_from and months.as_of_on < cv.valid_to
),

final as (
    select
        v.month_start,
        v.account_id,
        v.account_source,
        v.party_id,
        v.source_customer_no,
        v.customer_type_code,
        v.product_code,
        p.category_code,
        p.product_line_code,
        p.balance_side_code,
        p.is_term_product,
        v.branch_code,
        v.currency_code,
        v.opened_on,
        v.closed_on,
        v.matures_on,
        v.contract_rate,
        v.rate_type_code,
        coalesce(v.contract_term_months, p.standard_term_months) as term_months,
        v.repricing_months,
        v.card_type_code,
        v.credit_limit,
        v.closed_on is null or v.closed_on >= v.month_start as is_open_in_month,
        v.as_of_on,
        v._max_batch_id
    from versioned as v
    left join products as p on p.product_code = v.product_code
)

select * from final
