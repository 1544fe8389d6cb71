-- The raw accounting.chart_of_accounts rows of LOADED deliveries, renamed and typed: the chart of accounts (会计科目表).
with source as (
    select *
    from {{ source('accounting', 'chart_of_accounts') }}
    where _batch_id in {{ loaded_batches('accounting') }}
),

renamed as (
    select
        account_code as gl_account_code,
        account_name as gl_account_name,
        account_type as gl_account_type_code,
        parent_account_code as parent_gl_account_code,
        cast(account_level as integer) as gl_account_level,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
