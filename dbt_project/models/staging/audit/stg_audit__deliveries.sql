-- Deliveries that count: the LOADED batch of each source system and business date.
with deliveries as (
    select * from {{ ref('base_audit__deliveries') }}
),

final as (
    select
        batch_id,
        source_system,
        business_date,
        delivery_status
    from deliveries
    where delivery_status = 'LOADED'
)

select * from final
