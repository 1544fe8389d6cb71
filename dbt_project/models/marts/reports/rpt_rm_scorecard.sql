-- RM scorecard per RM and month: the book (customers managed at the month's last observed day), its AUM, loans and
-- net contribution, growth on the previous month, new and lost customers, cross-sell, against the targets of the
-- RM's type and grade (seed rm_targets; grade as of the month from the RM history). Growth outside the band of seed
-- anomaly_bands (rm_book_growth) is flagged.
with months as (
    {{ months_to_build() }}
),

book as (
    select pa.month_start, pa.as_of_on, pa.rm_id, pa.party_id
    from {{ ref('int_party_attributes_monthly') }} as pa
    where pa.rm_id is not null
),

book_metrics as (
    select
        book.month_start,
        book.rm_id,
        any_value(book.as_of_on) as as_of_on,
        count(*) as book_customers,
        count(*) filter (where p.first_opened_on >= book.month_start) as new_customers,
        count(*) filter (where l.is_attrited_in_month) as attrited_customers,
        sum(coalesce(aum.aum_cny, 0)) as book_aum_cny,
        sum(coalesce(aum.loan_adb_cny, 0)) as book_loans_cny,
        avg(coalesce(e.categories_held, 0)) as average_categories_held
    from book
    inner join {{ ref('int_parties') }} as p on p.party_id = book.party_id
    left join {{ ref('int_customer_aum_monthly') }} as aum
        on aum.month_start = book.month_start and aum.party_id = book.party_id
    left join {{ ref('int_party_engagement_monthly') }} as e
        on e.month_start = book.month_start and e.party_id = book.party_id
    left join {{ ref('int_customer_loyalty_monthly') }} as l
        on l.month_start = book.month_start and l.party_id = book.party_id
    group by book.month_start, book.rm_id
),

contribution as (
    select month_start, rm_id, sum(net_contribution) as net_contribution, sum(economic_profit) as economic_profit
    from {{ ref('fct_contribution_monthly') }}
    where rm_id <> {{ unknown_key() }}
    group by month_start, rm_id
),

with_growth as (
    select
        b.*,
        lag(b.book_aum_cny) over (partition by b.rm_id order by b.month_start) as previous_book_aum_cny,
        lag(b.month_start) over (partition by b.rm_id order by b.month_start) as previous_month_start
    from book_metrics as b
),

bands as (
    select * from {{ ref('anomaly_bands') }} where metric = 'rm_book_growth'
),

scored as (
    select
        g.month_start,
        g.rm_id,
        rm.branch_code,
        rm.rm_type_code,
        rm.rm_grade_code,
        g.book_customers,
        g.new_customers,
        g.attrited_customers,
        cast(g.book_aum_cny as decimal(18, 2)) as book_aum_cny,
        cast(g.book_loans_cny as decimal(18, 2)) as book_loans_cny,
        cast(coalesce(c.net_contribution, 0) as decimal(18, 2)) as net_contribution,
        cast(coalesce(c.economic_profit, 0) as decimal(18, 2)) as economic_profit,
        case when g.previous_month_start = cast(g.month_start - interval 1 month as date)
                  and g.previous_book_aum_cny <> 0
            then {{ ratio('g.book_aum_cny - g.previous_book_aum_cny', 'abs(g.previous_book_aum_cny)') }}
        end as book_aum_growth,
        cast(g.average_categories_held as decimal(18, 6)) as cross_sell_ratio,
        {{ ratio('g.attrited_customers', 'g.book_customers') }} as attrition_rate,
        t.target_book_aum_cny,
        t.target_monthly_net_contribution_cny,
        t.target_new_customers_per_month,
        t.target_cross_sell_ratio,
        t.max_monthly_attrition_rate
    from with_growth as g
    left join contribution as c on c.month_start = g.month_start and c.rm_id = g.rm_id
    left join {{ ref('snap_ref__relationship_managers') }} as rm
        on rm.rm_id = g.rm_id and g.as_of_on >= rm.valid_from and g.as_of_on < rm.valid_to
    left join {{ ref('rm_targets') }} as t on t.rm_type = rm.rm_type_code and t.rm_grade = rm.rm_grade_code
),

final as (
    select
        s.*,
        {{ ratio('s.book_aum_cny', 's.target_book_aum_cny') }} as book_aum_achievement,
        {{ ratio('s.net_contribution', 's.target_monthly_net_contribution_cny') }} as net_contribution_achievement,
        {{ ratio('s.new_customers', 's.target_new_customers_per_month') }} as new_customers_achievement,
        {{ ratio('s.cross_sell_ratio', 's.target_cross_sell_ratio') }} as cross_sell_achievement,
        s.attrition_rate <= s.max_monthly_attrition_rate as is_attrition_within_target,
        coalesce(
            s.book_aum_growth < (select lower_bound from bands) or s.book_aum_growth > (select upper_bound from bands),
            false
        ) as is_growth_anomaly,
        {{ month_status('s.month_start') }},
        months._max_batch_id
    from scored as s
    inner join months on months.month_start = s.month_start
)

select * from final
