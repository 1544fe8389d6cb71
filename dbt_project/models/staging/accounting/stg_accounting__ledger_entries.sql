{{
    config(
        materialized='incremental',
        unique_key=['entry_id']
    )
}}
-- depends_on: {{ ref('stg_audit__deliveries') }}
-- General-ledger postings in CNY (both legs), with the signed amount and the account's role in the contribution.
-- Incremental: each run adds the rows of the new batches (a key delivered again replaces its older row).
with source as (
    {{ latest_delivered_rows(ref('base_accounting__ledger_entries'), ['entry_id']) }}
),

renamed as (
    select
        entry_id,
        posted_on,
        {{ month_start('posted_on') }} as month_start,
        gl_account_code,
        cost_centre_code,
        currency_code,
        dr_cr_code,
        {{ decode('dr_cr_code', 'accounting.ledger_entries.dr_cr_flag') }} as dr_cr_name,
        amount,
        narrative,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select
        *,
        -- debit-positive: expense and asset postings add, credits subtract
        case when dr_cr_code = 'D' then amount else -amount end as debit_amount_signed
    from renamed
)

select * from final
