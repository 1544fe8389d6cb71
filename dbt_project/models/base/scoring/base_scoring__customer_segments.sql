-- The scoring.customer_segments rows crmwh build wrote after dbt with the latest marketing models (models/marketing_scoring.py).
with source as (
    select * from {{ source('scoring', 'customer_segments') }}
)

select * from source
