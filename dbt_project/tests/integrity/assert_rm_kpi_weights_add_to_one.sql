-- The KPI weights of each RM type add up to exactly 1, so a composite score of 100 means every target met
-- (seed rm_kpi_weights). Returns the RM types whose weights do not.
select rm_type, sum(weight) as total_weight
from {{ ref('rm_kpi_weights') }}
group by rm_type
having sum(weight) <> 1
