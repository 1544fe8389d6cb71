-- 分群稳定性: per month end, how many customers kept the behavioural segment they had the month before and the
-- adjusted Rand index between the two months' assignments (models/segments.py), with the segmentation model version.
select * from {{ ref('base_scoring__segment_stability') }}
