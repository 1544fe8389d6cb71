-- The raw core.customers rows of LOADED deliveries, renamed and typed: core CIF customers; PII: name, ID number, birth
-- date, phone, address.
with source as (
    select *
    from {{ source('core', 'customers') }}
    where _batch_id in {{ loaded_batches('core') }}
),

renamed as (
    select
        cif_no,
        customer_type as customer_type_code,
        customer_name,
        id_type as id_type_code,
        id_number,
        gender as gender_code,
        birth_date as born_on,
        industry_code,
        enterprise_scale as enterprise_scale_code,
        group_code,
        household_code,
        home_branch_code,
        rm_id,
        risk_rating as risk_rating_code,
        customer_status as customer_status_code,
        open_date as opened_on,
        close_date as closed_on,
        mobile_phone,
        address,
        last_update_date as last_updated_on,
        _business_date,
        _batch_id,
        _line_number
    from source
)

select * from renamed
