-- RESTRICTED: the PII of core customers (name, ID, birth date, phone, address), latest delivered version.
with latest as (
    select *
    from {{ ref('base_core__customers') }}
    qualify row_number() over (partition by cif_no order by {{ latest_delivery_order() }}) = 1
),

renamed as (
    select
        cif_no,
        customer_type_code,
        customer_name,
        id_type_code,
        id_number,
        {{ identity_key('id_type_code', 'id_number') }} as identity_key,
        born_on,
        mobile_phone,
        address,
        _business_date as _delivered_on,
        _batch_id
    from latest
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
