-- The scoring.next_best_product_scores rows crmwh build wrote after dbt with the latest marketing models (models/marketing_scoring.py).
with source as (
    select * from {{ source('scoring', 'next_best_product_scores') }}
)

select * from source
