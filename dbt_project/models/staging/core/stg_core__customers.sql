-- Core CIF customers, the latest delivered version of each (a delivery carries the whole record as it now stands).
-- PII (name, ID number, birth date, phone, address) is left out: it lives only in restricted_pii.
with source as (
    {{ latest_delivered_rows(ref('base_core__customers'), ['cif_no']) }}
),

renamed as (
    select
        cif_no,
        customer_type_code,
        {{ decode('customer_type_code', 'core.customers.customer_type') }} as customer_type_name,
        id_type_code,
        {{ decode('id_type_code', 'core.customers.id_type') }} as id_type_name,
        gender_code,
        {{ decode('gender_code', 'core.customers.gender') }} as gender_name,
        cast(year(born_on) as integer) as birth_year,
        industry_code,
        enterprise_scale_code,
        {{ decode('enterprise_scale_code', 'core.customers.enterprise_scale') }} as enterprise_scale_name,
        group_code,
        household_code,
        home_branch_code,
        rm_id,
        risk_rating_code,
        {{ decode('risk_rating_code', 'core.customers.risk_rating') }} as risk_rating_name,
        customer_status_code,
        {{ decode('customer_status_code', 'core.customers.customer_status') }} as customer_status_name,
        opened_on,
        closed_on,
        last_updated_on,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
