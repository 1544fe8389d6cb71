-- The raw cards.cards rows of LOADED deliveries, renamed and typed: cards (credit and debit); PII: the cardholder's
-- name, ID number and phone.
with source as (
    select *
    from {{ source('cards', 'cards') }}
    where _batch_id in {{ loaded_batches('cards') }}
),

renamed as (
    select
        card_no,
        card_customer_no,
        id_type as id_type_code,
        id_number,
        cardholder_name,
        mobile_phone,
        card_type as card_type_code,
        product_code,
        card_tier as card_tier_code,
        credit_limit,
        linked_account_no,
        branch_code,
        open_date as opened_on,
        expiry_date as expires_on,
        close_date as closed_on,
        card_status as card_status_code,
        annual_fee,
        last_update_date as last_updated_on,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
