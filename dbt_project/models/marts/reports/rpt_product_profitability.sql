-- Product profitability per product and month: balances, the waterfall with its contribution margins CM1-CM4,
-- net interest margin and RAROC, annualised by actual days (the month's figure × annualisation_days / the days it
-- covers, never × 12):
--   NIM   = net interest contribution × 365 / (|ADB| × observed days)
--   RAROC = net contribution × 365 / (economic capital × observed days); after tax: net contribution after tax
-- A margin outside the band of seed anomaly_bands (product_net_interest_margin) is flagged.
with months as (
    {{ months_to_build(['observed_days']) }}
),

totals as (
    select
        f.month_start,
        f.product_code,
        count(distinct f.account_id) as accounts,
        count(distinct f.party_id) as customers,
        sum(f.average_daily_balance_cny) as average_daily_balance_cny,
        sum(f.interest_income) as interest_income,
        sum(f.interest_expense) as interest_expense,
        sum(f.ftp_charge) as ftp_charge,
        sum(f.ftp_credit) as ftp_credit,
        {{ waterfall_step_sums('f') }}
    from {{ ref('fct_contribution_monthly') }} as f
    inner join months on months.month_start = f.month_start
    group by f.month_start, f.product_code
),

bands as (
    select * from {{ ref('anomaly_bands') }} where metric = 'product_net_interest_margin'
),

measured as (
    select
        t.*,
        case when t.average_daily_balance_cny <> 0
            then {{ ratio('t.net_interest_contribution * ' ~ param('annualisation_days'),
                          'abs(t.average_daily_balance_cny) * months.observed_days') }}
        end as net_interest_margin_annualised,
        {{ raroc_annualised_columns('t', 'months') }}
    from totals as t
    inner join months on months.month_start = t.month_start
),

final as (
    select
        m.month_start,
        m.product_code,
        p.product_name,
        p.category_code,
        p.product_line_code,
        m.accounts,
        m.customers,
        {% for c in ['average_daily_balance_cny', 'interest_income', 'interest_expense', 'ftp_charge', 'ftp_credit',
                     'net_interest_contribution', 'fee_income', 'output_vat', 'vat_surcharges', 'cm1_after_ftp',
                     'direct_operating_cost', 'cm2_after_direct_cost', 'indirect_operating_cost',
                     'cm3_after_indirect_cost', 'head_office_overhead', 'cm4_after_overhead',
                     'allocated_operating_cost', 'expected_loss', 'credit_cost', 'net_contribution', 'income_tax',
                     'net_contribution_after_tax', 'economic_capital', 'capital_charge', 'economic_profit'] %}
        cast(m.{{ c }} as decimal(18, 2)) as {{ c }},
        {% endfor %}
        m.net_interest_margin_annualised,
        m.raroc_annualised,
        m.raroc_after_tax_annualised,
        coalesce(
            m.net_interest_margin_annualised < (select lower_bound from bands)
            or m.net_interest_margin_annualised > (select upper_bound from bands),
            false
        ) as is_margin_anomaly,
        {{ month_status('m.month_start') }},
        months._max_batch_id
    from measured as m
    inner join months on months.month_start = m.month_start
    left join {{ ref('dim_product') }} as p on p.product_code = m.product_code
)

select * from final
