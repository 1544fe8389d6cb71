-- The scoring.feature_drift rows crmwh build wrote after dbt with the latest trained model (models/scoring.py).
with source as (
    select * from {{ source('scoring', 'feature_drift') }}
)

select * from source
