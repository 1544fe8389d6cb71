-- Cards (credit and debit), the latest delivered version of each. The cardholder's ID, name and phone are PII and
-- live only in restricted_pii; the card system's own customer number (card_customer_no) is matched to the core CIF
-- in the single customer view.
with source as (
    {{ latest_delivered_rows(ref('base_cards__cards'), ['card_no']) }}
),

renamed as (
    select
        card_no,
        card_customer_no,
        id_type_code,
        card_type_code,
        {{ decode('card_type_code', 'cards.cards.card_type') }} as card_type_name,
        product_code,
        card_tier_code,
        {{ decode('card_tier_code', 'cards.cards.card_tier') }} as card_tier_name,
        credit_limit,
        linked_account_no,
        branch_code,
        opened_on,
        expires_on,
        closed_on,
        card_status_code,
        {{ decode('card_status_code', 'cards.cards.card_status') }} as card_status_name,
        annual_fee,
        last_updated_on,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
