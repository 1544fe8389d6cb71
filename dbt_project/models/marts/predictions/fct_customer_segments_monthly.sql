-- 客户行为分群: each personal customer's behavioural segment per month end (models/segments.py: k-means on scaled
-- behavioural features, centroids fixed at training and carried forward to every later month), with the segment's
-- Chinese name and profile, and the segment the customer was in the month before (to follow movements).
with segments as (
    select * from {{ ref('base_scoring__customer_segments') }}
),

profiles as (
    select * from {{ ref('base_scoring__segment_profiles') }}
),

book as (
    select month_start, party_id, rm_id, home_branch_code from {{ ref('int_party_attributes_monthly') }}
),

aum as (
    select month_start, party_id, aum_cny from {{ ref('int_customer_aum_monthly') }}
),

final as (
    select
        s.month_start,
        s.party_id,
        b.rm_id,
        b.home_branch_code,
        s.segment_no,
        s.segment_name,
        p.description as segment_description,
        lag(s.segment_no) over (partition by s.party_id, s.model_version order by s.month_start)
            as previous_segment_no,
        coalesce(aum.aum_cny, 0) as aum_cny,
        s.model_version,
        s.trained_at
    from segments as s
    left join profiles as p on p.model_version = s.model_version and p.segment_no = s.segment_no
    left join book as b on b.month_start = s.month_start and b.party_id = s.party_id
    left join aum on aum.month_start = s.month_start and aum.party_id = s.party_id
)

select * from final
