-- The scoring.segment_stability rows crmwh build wrote after dbt with the latest marketing models (models/marketing_scoring.py).
with source as (
    select * from {{ source('scoring', 'segment_stability') }}
)

select * from source
