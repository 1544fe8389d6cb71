-- The scoring.value_forecasts rows crmwh build wrote after dbt with the latest trained model (models/scoring.py).
with source as (
    select * from {{ source('scoring', 'value_forecasts') }}
)

select * from source
