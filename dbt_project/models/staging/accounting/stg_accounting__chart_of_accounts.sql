-- Chart of accounts (会计科目表), latest delivered version of each GL account, with its role in the contribution.
with source as (
    select *
    from {{ source('accounting', 'chart_of_accounts') }}
    where _batch_id in {{ loaded_batches('accounting') }}
    qualify row_number() over (partition by account_code order by {{ latest_delivery_order() }}) = 1
),

renamed as (
    select
        account_code as gl_account_code,
        account_name as gl_account_name,
        account_type as gl_account_type_code,
        {{ decode('account_type', 'accounting.chart_of_accounts.account_type') }} as gl_account_type_name,
        parent_account_code as parent_gl_account_code,
        cast(account_level as integer) as gl_account_level,
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
