-- The scoring.churn_scores rows crmwh build wrote after dbt with the latest trained model (models/scoring.py).
with source as (
    select * from {{ source('scoring', 'churn_scores') }}
)

select * from source
