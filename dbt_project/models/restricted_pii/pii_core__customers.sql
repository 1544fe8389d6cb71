-- RESTRICTED: the PII of core customers (name, ID, birth date, phone, address), latest delivered version.
with source as (
    select *
    from {{ source('core', 'customers') }}
    where _batch_id in {{ loaded_batches('core') }}
    qualify row_number() over (partition by cif_no order by {{ latest_delivery_order() }}) = 1
),

renamed as (
    select
        cif_no,
        customer_type as customer_type_code,
        customer_name,
        id_type as id_type_code,
        id_number,
        {{ identity_key('id_type', 'id_number') }} as identity_key,
        birth_date as born_on,
        mobile_phone,
        address,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select
        *,
        {{ mask_name('customer_name', 'customer_type_code') }} as customer_name_masked,
        {{ mask_id_number('id_number') }} as id_number_masked,
        {{ mask_phone('mobile_phone') }} as mobile_phone_masked,
        {{ mask_address('address') }} as address_masked
    from renamed
)

select * from final
