-- Branch league table per branch and month: the contribution waterfall of the accounts booked at the branch with its
-- contribution margins (CM1 after FTP, CM2 after the branch's direct cost, CM3 after indirect cost, CM4 after
-- head-office overhead: each what a manager at that level answers for),
-- deposits and loans, cost-to-income (allocated operating cost / (net interest contribution + fees)) and RAROC
-- (net contribution × annualisation_days / (economic capital × observed days): annualised by actual days, never × 12),
-- ranked within the region and bank-wide by net contribution.
-- Cost-to-income outside the band of seed anomaly_bands (branch_cost_to_income) is flagged.
with months as (
    {{ months_to_build(['observed_days']) }}
),

totals as (
    select t.*
    from {{ ref('int_branch_contribution_monthly') }} as t
    inner join months on months.month_start = t.month_start
),

bands as (
    select * from {{ ref('anomaly_bands') }} where metric = 'branch_cost_to_income'
),

measured as (
    select
        t.*,
        b.region_code,
        b.region_name,
        b.branch_level_code,
        case when t.net_interest_contribution + t.fee_income <> 0
            then {{ ratio('t.allocated_operating_cost', 't.net_interest_contribution + t.fee_income') }}
        end as cost_to_income_ratio,
        {{ raroc_annualised_columns('t', 'months') }}
    from totals as t
    inner join months on months.month_start = t.month_start
    left join {{ ref('dim_branch') }} as b on b.branch_code = t.branch_code
),

final as (
    select
        m.month_start,
        m.branch_code,
        m.branch_level_code,
        m.region_code,
        m.region_name,
        m.accounts,
        m.customers,
        cast(m.deposits_adb_cny as decimal(18, 2)) as deposits_adb_cny,
        cast(m.loans_adb_cny as decimal(18, 2)) as loans_adb_cny,
        cast(m.net_interest_contribution as decimal(18, 2)) as net_interest_contribution,
        cast(m.fee_income as decimal(18, 2)) as fee_income,
        cast(m.output_vat as decimal(18, 2)) as output_vat,
        cast(m.vat_surcharges as decimal(18, 2)) as vat_surcharges,
        cast(m.cm1_after_ftp as decimal(18, 2)) as cm1_after_ftp,
        cast(m.direct_operating_cost as decimal(18, 2)) as direct_operating_cost,
        cast(m.cm2_after_direct_cost as decimal(18, 2)) as cm2_after_direct_cost,
        cast(m.indirect_operating_cost as decimal(18, 2)) as indirect_operating_cost,
        cast(m.cm3_after_indirect_cost as decimal(18, 2)) as cm3_after_indirect_cost,
        cast(m.head_office_overhead as decimal(18, 2)) as head_office_overhead,
        cast(m.cm4_after_overhead as decimal(18, 2)) as cm4_after_overhead,
        cast(m.allocated_operating_cost as decimal(18, 2)) as allocated_operating_cost,
        cast(m.expected_loss as decimal(18, 2)) as expected_loss,
        cast(m.credit_cost as decimal(18, 2)) as credit_cost,
        cast(m.net_contribution as decimal(18, 2)) as net_contribution,
        cast(m.income_tax as decimal(18, 2)) as income_tax,
        cast(m.net_contribution_after_tax as decimal(18, 2)) as net_contribution_after_tax,
        cast(m.economic_capital as decimal(18, 2)) as economic_capital,
        cast(m.capital_charge as decimal(18, 2)) as capital_charge,
        cast(m.economic_profit as decimal(18, 2)) as economic_profit,
        m.cost_to_income_ratio,
        m.raroc_annualised,
        m.raroc_after_tax_annualised,
        cast(rank() over (partition by m.month_start order by m.net_contribution desc) as integer) as bank_rank,
        cast(rank() over (partition by m.month_start, m.region_code order by m.net_contribution desc) as integer)
            as region_rank,
        coalesce(
            m.cost_to_income_ratio < (select lower_bound from bands)
            or m.cost_to_income_ratio > (select upper_bound from bands),
            false
        ) as is_cost_to_income_anomaly,
        {{ month_status('m.month_start') }},
        months._max_batch_id
    from measured as m
    inner join months on months.month_start = m.month_start
)

select * from final
