-- depends_on: {{ ref('int_month_watermarks') }}
-- The contribution waterfall (客户利润贡献) per account and month, core and card accounts alike, every step its own
-- column (CNY, each rounded to the cent where it is computed; the subtotals are exact sums of the rounded steps;
-- docs/methodology.md, section 8):
--   net_interest_contribution = interest_income − ftp_charge + ftp_credit − interest_expense
--   cm1_after_ftp             = net_interest_contribution + fee_income − output_vat − vat_surcharges
--                               (income net of VAT, 价税分离: int_vat_account_monthly)
--   cm2_after_direct_cost     = cm1_after_ftp − direct_operating_cost        (the branch's own cost centres)
--   cm3_after_indirect_cost   = cm2_after_direct_cost − indirect_operating_cost   (head-office services, by activity)
--   cm4_after_overhead        = cm3_after_indirect_cost − head_office_overhead    (administration, by income or RWA)
--   net_contribution          = cm4_after_overhead − credit_cost
--   (credit_cost: expected loss while an exposure performs, the stage-3 provision movement once it has defaulted;
--   expected_loss stays beside it as the contractual view, int_credit_cost_account_monthly)
--   income_tax                = net_contribution × income_tax_rate, to the cent (negative on a loss: the relief the
--                               account gives the bank)
--   net_contribution_after_tax = net_contribution − income_tax
--   economic_profit           = net_contribution_after_tax − capital_charge (the hurdle rate is an after-tax return)
-- allocated_operating_cost = direct_operating_cost + indirect_operating_cost + head_office_overhead.
-- Sums over any set of rows (customer, product, branch, RM) add up:
-- tests/reconciliation/assert_contribution_rollups_agree.sql; the bank's sum bridges to the ledger in
-- fct_profit_bridge_monthly.
with months as (
    {{ months_to_build() }}
),

keys as (
    select *
    from {{ ref('int_measured_accounts_monthly') }}
    where {{ months_to_rebuild() }}
),

ftp as (
    select * from {{ ref('int_ftp_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

interest as (
    select * from {{ ref('int_interest_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

fees as (
    select * from {{ ref('int_fee_income_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

costs as (
    select
        month_start,
        account_id,
        sum(allocated_amount) filter (where cost_layer = 'DIRECT') as direct_operating_cost,
        sum(allocated_amount) filter (where cost_layer = 'INDIRECT') as indirect_operating_cost,
        sum(allocated_amount) filter (where cost_layer = 'OVERHEAD') as head_office_overhead
    from {{ ref('int_cost_allocation_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
    group by month_start, account_id
),

vat as (
    select * from {{ ref('int_vat_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

risk as (
    select * from {{ ref('int_risk_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

capital as (
    select * from {{ ref('int_capital_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

credit_cost as (
    select * from {{ ref('int_credit_cost_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

customers as (
    select customer_key, party_id, valid_from from {{ ref('dim_customer') }}
),

customer_versions as (
    {{ customer_version_keys('keys', 'customers', ['month_start', 'account_id'], 'as_of_on') }}
),

watermarks as (
    select month_start, is_complete, observed_days from {{ ref('int_month_watermarks') }}
),

steps as (
    select
        k.month_start,
        k.account_id,
        k.account_source,
        k.party_id,
        {{ dimension_key('c.customer_key') }} as customer_key,
        k.customer_type_code,
        {{ dimension_key('k.product_code') }} as product_code,
        k.product_line_code,
        k.balance_side_code,
        {{ dimension_key('k.branch_code') }} as branch_code,
        {{ dimension_key('k.rm_id') }} as rm_id,
        w.is_complete as is_month_complete,
        w.observed_days,
        coalesce(ftp.average_daily_balance_cny, 0) as average_daily_balance_cny,
        ftp.ftp_method,
        ftp.ftp_rate,
        coalesce(ftp.is_curve_currency_fallback or ftp.is_curve_date_fallback, false) as is_ftp_curve_fallback,
        coalesce(interest.interest_income, 0) as interest_income,
        coalesce(interest.interest_expense, 0) as interest_expense,
        coalesce(ftp.ftp_charge, 0) as ftp_charge,
        coalesce(ftp.ftp_credit, 0) as ftp_credit,
        coalesce(fees.fee_income, 0) as fee_income,
        coalesce(vat.output_vat, 0) as output_vat,
        coalesce(vat.vat_surcharges, 0) as vat_surcharges,
        coalesce(costs.direct_operating_cost, 0) as direct_operating_cost,
        coalesce(costs.indirect_operating_cost, 0) as indirect_operating_cost,
        coalesce(costs.head_office_overhead, 0) as head_office_overhead,
        coalesce(risk.exposure_at_default_cny, 0) as exposure_at_default_cny,
        coalesce(risk.expected_loss, 0) as expected_loss,
        coalesce(credit_cost.provision_charge, 0) as provision_charge,
        coalesce(credit_cost.credit_cost, 0) as credit_cost,
        coalesce(capital.economic_capital, 0) as economic_capital,
        coalesce(capital.capital_charge, 0) as capital_charge,
        k._max_batch_id
    from keys as k
    left join ftp on ftp.month_start = k.month_start and ftp.account_id = k.account_id
    left join interest on interest.month_start = k.month_start and interest.account_id = k.account_id
    left join fees on fees.month_start = k.month_start and fees.account_id = k.account_id
    left join costs on costs.month_start = k.month_start and costs.account_id = k.account_id
    left join vat on vat.month_start = k.month_start and vat.account_id = k.account_id
    left join risk on risk.month_start = k.month_start and risk.account_id = k.account_id
    left join capital on capital.month_start = k.month_start and capital.account_id = k.account_id
    left join credit_cost on credit_cost.month_start = k.month_start and credit_cost.account_id = k.account_id
    left join watermarks as w on w.month_start = k.month_start
    left join customer_versions as c on c.month_start = k.month_start and c.account_id = k.account_id
),

margins as (
    select
        *,
        interest_income - ftp_charge + ftp_credit - interest_expense as nic,
        interest_income - ftp_charge + ftp_credit - interest_expense + fee_income - output_vat - vat_surcharges
            as cm1,
        direct_operating_cost + indirect_operating_cost + head_office_overhead as operating_cost,
        interest_income - ftp_charge + ftp_credit - interest_expense + fee_income - output_vat - vat_surcharges
            - direct_operating_cost - indirect_operating_cost - head_office_overhead - credit_cost as nc
    from steps
),

taxed as (
    select *, {{ round_money('cast(nc as ' ~ amount_type(19) ~ ') * ' ~ param('income_tax_rate')) }} as tax
    from margins
),

final as (
    select
        month_start,
        account_id,
        account_source,
        party_id,
        customer_key,
        customer_type_code,
        product_code,
        product_line_code,
        balance_side_code,
        branch_code,
        rm_id,
        is_month_complete,
        observed_days,
        cast(average_daily_balance_cny as decimal(18, 2)) as average_daily_balance_cny,
        ftp_method,
        ftp_rate,
        is_ftp_curve_fallback,
        cast(interest_income as decimal(18, 2)) as interest_income,
        cast(interest_expense as decimal(18, 2)) as interest_expense,
        cast(ftp_charge as decimal(18, 2)) as ftp_charge,
        cast(ftp_credit as decimal(18, 2)) as ftp_credit,
        cast(nic as decimal(18, 2)) as net_interest_contribution,
        cast(fee_income as decimal(18, 2)) as fee_income,
        cast(output_vat as decimal(18, 2)) as output_vat,
        cast(vat_surcharges as decimal(18, 2)) as vat_surcharges,
        cast(cm1 as decimal(18, 2)) as cm1_after_ftp,
        cast(direct_operating_cost as decimal(18, 2)) as direct_operating_cost,
        cast(cm1 - direct_operating_cost as decimal(18, 2)) as cm2_after_direct_cost,
        cast(indirect_operating_cost as decimal(18, 2)) as indirect_operating_cost,
        cast(cm1 - direct_operating_cost - indirect_operating_cost as decimal(18, 2)) as cm3_after_indirect_cost,
        cast(head_office_overhead as decimal(18, 2)) as head_office_overhead,
        cast(cm1 - operating_cost as decimal(18, 2)) as cm4_after_overhead,
        cast(operating_cost as decimal(18, 2)) as allocated_operating_cost,
        cast(exposure_at_default_cny as decimal(18, 2)) as exposure_at_default_cny,
        cast(expected_loss as decimal(18, 2)) as expected_loss,
        cast(provision_charge as decimal(18, 2)) as provision_charge,
        cast(credit_cost as decimal(18, 2)) as credit_cost,
        cast(nc as decimal(18, 2)) as net_contribution,
        cast(tax as decimal(18, 2)) as income_tax,
        cast(nc - tax as decimal(18, 2)) as net_contribution_after_tax,
        cast(economic_capital as decimal(18, 2)) as economic_capital,
        cast(capital_charge as decimal(18, 2)) as capital_charge,
        cast(nc - tax - capital_charge as decimal(18, 2)) as economic_profit,
        _max_batch_id
    from taxed
)

select * from final
