-- 产品推荐名单 (next best product): per personal customer and scored month end, the product family not yet held that
-- the customer is likeliest to open within the label horizon (models/propensity.py), its propensity, the customer's
-- rank in the RM's book (1 = the RM's best prospect), and the three drivers behind it in words for the RM. A view: the
-- latest scores of `crmwh build`, with the RM and branch of the month for the RMs' target lists.
with scores as (
    select * from {{ ref('base_scoring__next_best_product_scores') }}
    where family_rank = 1
),

families as (
    select distinct product_family_code, product_family_name_zh from {{ ref('product_families') }}
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
        s.product_family_code,
        f.product_family_name_zh,
        s.propensity,
        cast(row_number() over (partition by s.month_start, coalesce(b.rm_id, '')
                                order by s.propensity desc, s.party_id) as integer) as rank_in_book,
        s.reason_1,
        s.reason_2,
        s.reason_3,
        s.reasons,
        coalesce(aum.aum_cny, 0) as aum_cny,
        s.model_version,
        s.trained_at
    from scores as s
    inner join families as f on f.product_family_code = s.product_family_code
    left join book as b on b.month_start = s.month_start and b.party_id = s.party_id
    left join aum on aum.month_start = s.month_start and aum.party_id = s.party_id
)

select * from final
