-- Every delivery the loader recorded (audit.deliveries), whatever its status, renamed.
with source as (
    select * from {{ source('audit', 'deliveries') }}
),

renamed as (
    select
        batch_id,
        system as source_system,
        business_date,
        status as delivery_status
    from source
)

select * from renamed
