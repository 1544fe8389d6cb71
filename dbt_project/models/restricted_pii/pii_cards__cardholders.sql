-- RESTRICTED: the card system's customers (card_customer_no) with the identity on their most recently delivered card.
-- A card customer whose cards carry more than one identity is flagged (the latest identity is used).
with cards as (
    select * from {{ ref('base_cards__cards') }}
),

identities as (
    select
        card_customer_no,
        count(distinct {{ identity_key('id_type_code', 'id_number') }}) as identity_count
    from cards
    group by card_customer_no
),

latest as (
    select *
    from cards
    qualify row_number() over (
        partition by card_customer_no order by {{ latest_delivery_order() }}, card_no desc
    ) = 1
),

renamed as (
    select
        latest.card_customer_no,
        latest.cardholder_name,
        latest.id_type_code,
        latest.id_number,
        {{ identity_key('latest.id_type_code', 'latest.id_number') }} as identity_key,
        latest.mobile_phone,
        identities.identity_count > 1 as has_identity_conflict,
        latest._business_date as _delivered_on,
        latest._batch_id
    from latest
    inner join identities on identities.card_customer_no = latest.card_customer_no
),

final as (
    select
        *,
        {{ mask_name('cardholder_name', "'P'") }} as cardholder_name_masked,
        {{ mask_id_number('id_number') }} as id_number_masked,
        {{ mask_phone('mobile_phone') }} as mobile_phone_masked
    from renamed
)

select * from final
