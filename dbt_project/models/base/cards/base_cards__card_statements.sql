-- The raw cards.card_statements rows of LOADED deliveries, renamed and typed: monthly credit card statements.
with source as (
    select *
    from {{ source('cards', 'card_statements') }}
    where _batch_id in {{ loaded_batches('cards') }}
),

renamed as (
    select
        card_no,
        statement_date as statement_on,
        due_date as due_on,
        opening_balance,
        purchases,
        cash_advances,
        payments,
        interest_charged,
        fees_charged,
        closing_balance,
        minimum_payment,
        revolving_balance,
        cast(days_past_due as integer) as days_past_due,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
