-- Chart of accounts (会计科目表), latest delivered version of each GL account, with its role in the contribution.
with source as (
    {{ latest_delivered_rows(ref('base_accounting__chart_of_accounts'), ['gl_account_code']) }}
),

renamed as (
    select
        gl_account_code,
        gl_account_name,
        gl_account_type_code,
        {{ decode('gl_account_type_code', 'accounting.chart_of_accounts.account_type') }} as gl_account_type_name,
        parent_gl_account_code,
        gl_account_level,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select
        renamed.*,
        roles.gl_role
    from renamed
    left join {{ ref('gl_account_roles') }} as roles
        on left(renamed.gl_account_code, 4) = roles.account_prefix
)

select * from final
