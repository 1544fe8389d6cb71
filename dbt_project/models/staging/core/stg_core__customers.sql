-- Core CIF customers, the latest delivered version of each (a delivery carries the whole record as it now stands).
-- PII (name, ID number, birth date, phone, address) is left out: it lives only in restricted_pii.
with source as (
    {{ latest_delivered_rows('core', 'customers', ['cif_no']) }}
),

renamed as (
    select
        cif_no,
        customer_type as customer_type_code,
        {{ decode('customer_type', 'core.customers.customer_type') }} as customer_type_name,
        id_type as id_type_code,
        {{ decode('id_type', 'core.customers.id_type') }} as id_type_name,
        gender as gender_code,
        {{ decode('gender', 'core.customers.gender') }} as gender_name,
        cast(year(birth_date) as integer) as birth_year,
        industry_code,
        group_code,
        household_code,
        home_branch_code,
        rm_id,
        risk_rating as risk_rating_code,
        {{ decode('risk_rating', 'core.customers.risk_rating') }} as risk_rating_name,
        customer_status as customer_status_code,
        {{ decode('customer_status', 'core.customers.customer_status') }} as customer_status_name,
        open_date as opened_on,
        close_date as closed_on,
        last_update_date as last_updated_on,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
