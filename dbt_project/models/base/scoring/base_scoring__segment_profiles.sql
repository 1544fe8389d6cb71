-- The scoring.segment_profiles rows crmwh build wrote after dbt with the latest marketing models (models/marketing_scoring.py).
with source as (
    select * from {{ source('scoring', 'segment_profiles') }}
)

select * from source
