{{ config(materialized='table') }}
-- Next-best-product labels: for each complete month end T, each personal customer at T and each marketed product
-- family (seed product_families), whether the customer opens an account or card of the family in the
-- nbp_horizon_months months after T (int_product_family_openings), and whether the family was already held at T. A
-- label is known only when the months of its horizon are all complete; the others are what scoring predicts.
with months as (
    select month_start, row_number() over (order by month_start) as month_no
    from {{ ref('int_month_watermarks') }}
    where is_complete
),

last_month as (
    select max(month_no) as month_no from months
),

families as (
    select distinct product_family_code from {{ ref('product_families') }}
),

population as (
    select pa.month_start, m.month_no, pa.party_id, f.product_family_code
    from {{ ref('int_party_attributes_monthly') }} as pa
    inner join months as m on m.month_start = pa.month_start
    cross join families as f
    where pa.customer_type_code = 'P'
),

opened as (
    select
        p.month_start,
        p.party_id,
        p.product_family_code,
        count(*) as accounts_opened
    from population as p
    inner join {{ ref('int_product_family_openings') }} as o
        on o.party_id = p.party_id and o.product_family_code = p.product_family_code
       and o.opened_month > p.month_start
       and o.opened_month <= {{ add_months('p.month_start', param_int('nbp_horizon_months')) }}
    group by p.month_start, p.party_id, p.product_family_code
),

final as (
    select
        p.month_start,
        p.party_id,
        p.product_family_code,
        h.party_id is not null as is_held,
        o.party_id is not null as is_opener,
        cast(coalesce(o.accounts_opened, 0) as integer) as accounts_opened,
        p.month_no + {{ param_int('nbp_horizon_months') }} <= (select month_no from last_month) as is_label_known
    from population as p
    left join {{ ref('int_product_family_holdings_monthly') }} as h
        on h.month_start = p.month_start and h.party_id = p.party_id and h.product_family_code = p.product_family_code
    left join opened as o
        on o.month_start = p.month_start and o.party_id = p.party_id and o.product_family_code = p.product_family_code
)

select * from final
