-- The raw accounting.ledger_entries rows of LOADED deliveries, renamed and typed: general-ledger postings.
with source as (
    select *
    from {{ source('accounting', 'ledger_entries') }}
    where _batch_id in {{ loaded_batches('accounting') }}
),

renamed as (
    select
        entry_id,
        posting_date as posted_on,
        account_code as gl_account_code,
        cost_centre_code,
        currency as currency_code,
        dr_cr_flag as dr_cr_code,
        amount,
        description as narrative,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
