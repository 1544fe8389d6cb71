{{ config(materialized='table') }}
-- Every account the contribution is measured on: core accounts (deposits, loans, wealth) and cards (credit and
-- debit), with owner party, product attributes and the terms FTP needs. account_id is the core account number or
-- the card number.
with core_accounts as (
    select * from {{ ref('stg_core__accounts') }}
),

cards as (
    select * from {{ ref('stg_cards__cards') }}
),

products as (
    select * from {{ ref('stg_ref__products') }}
),

xref as (
    select * from {{ ref('int_party_xref') }}
),

parties as (
    select party_id, customer_type_code from {{ ref('int_parties') }}
),

unioned as (
    select
        a.account_no as account_id,
        'core' as account_source,
        a.cif_no as source_customer_no,
        a.product_code,
        a.branch_code,
        a.currency_code,
        a.opened_on,
        a.closed_on,
        a.matures_on,
        a.contract_rate,
        a.rate_type_code,
        a.term_months as contract_term_months,
        a.repricing_months,
        a.account_status_code as status_code,
        cast(null as string) as card_type_code,
        cast(null as decimal(18, 2)) as credit_limit,
        cast(null as string) as linked_account_no
    from core_accounts as a
    union all
    select
        c.card_no,
        'cards',
        c.card_customer_no,
        c.product_code,
        c.branch_code,
        'CNY',
        c.opened_on,
        c.closed_on,
        c.expires_on,
        p.list_rate,
        'F',
        cast(null as integer),
        cast(null as integer),
        -- card status mapped onto the account status codes: A active → 0, F frozen → 2, C cancelled → 9
        case c.card_status_code when 'A' then '0' when 'F' then '2' else '9' end,
        c.card_type_code,
        c.credit_limit,
        c.linked_account_no
    from cards as c
    left join products as p on p.product_code = c.product_code
),

final as (
    select
        u.account_id,
        u.account_source,
        xref.party_id,
        u.source_customer_no,
        parties.customer_type_code,
        u.product_code,
        p.category_code,
        p.product_line_code,
        p.balance_side_code,
        p.is_term_product,
        u.branch_code,
        u.currency_code,
        u.opened_on,
        u.closed_on,
        u.matures_on,
        u.contract_rate,
        u.rate_type_code,
        coalesce(u.contract_term_months, p.standard_term_months) as term_months,
        u.repricing_months,
        u.status_code,
        u.card_type_code,
        u.credit_limit,
        u.linked_account_no,
        p.gl_interest_account_code,
        p.gl_fee_account_code
    from unioned as u
    left join products as p on p.product_code = u.product_code
    left join xref on xref.source_system = u.account_source and xref.source_customer_no = u.source_customer_no
    left join parties on parties.party_id = xref.party_id
)

select * from final
