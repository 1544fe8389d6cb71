{{
    config(
        materialized='incremental',
        incremental_strategy='replace_loaded',
        unique_key=['card_no', 'statement_on'],
        source_system='cards',
        on_schema_change='fail'
    )
}}
-- Monthly credit card statements (one per card and statement date).
-- Incremental: each run adds the rows of the new batches (a key delivered again replaces its older row).
with source as (
    {{ latest_delivered_rows('cards', 'card_statements', ['card_no', 'statement_date']) }}
),

renamed as (
    select
        card_no,
        statement_date as statement_on,
        {{ month_start('statement_date') }} as month_start,
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
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
