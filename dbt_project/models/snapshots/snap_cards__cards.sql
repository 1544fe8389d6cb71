-- SCD2 history of cards' changing attributes (tier, limit, status, branch, annual fee, expiry, cancel date), keyed on the
-- business date of the delivery that carried the change.
{% set tracked = ['product_code', 'card_tier_code', 'credit_limit', 'branch_code', 'card_status_code', 'annual_fee',
                  'expires_on', 'closed_on'] %}

{% set delivered_rows %}
    select
        card_no,
        product_code,
        card_tier_code,
        credit_limit,
        branch_code,
        card_status_code,
        annual_fee,
        expires_on,
        closed_on,
        _business_date
    from {{ ref('base_cards__cards') }}
    qualify row_number() over (partition by card_no, _business_date order by _batch_id desc, _line_number desc) = 1
{% endset %}

with history as (
    {{ scd2_history(delivered_rows, ['card_no'], tracked) }}
),

final as (
    select
        {{ surrogate_key(['card_no', 'valid_from']) }} as card_version_key,
        *
    from history
)

select * from final
