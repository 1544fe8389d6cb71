-- Deliveries that count: the LOADED batch of each source system and business date.
with source as (
    select * from {{ source('audit', 'deliveries') }}
),

final as (
    select
        batch_id,
        system as source_system,
        business_date,
        status as delivery_status
    from source
    where status = 'LOADED'
)

select * from final
