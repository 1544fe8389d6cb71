{{
    config(
        materialized='incremental',
        unique_key=['card_no', 'statement_on']
    )
}}
-- depends_on: {{ ref('stg_audit__deliveries') }}
-- Monthly credit card statements (one per card and statement date).
-- Incremental: each run adds the rows of the new batches (a key delivered again replaces its older row).
with source as (
    {{ latest_delivered_rows(ref('base_cards__card_statements'), ['card_no', 'statement_on']) }}
),

renamed as (
    select
        card_no,
        statement_on,
        {{ month_start('statement_on') }} as month_start,
        due_on,
        opening_balance,
        purchases,
        cash_advances,
        payments,
        interest_charged,
        fees_charged,
        closing_balance,
        minimum_payment,
        revolving_balance,
        days_past_due,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
