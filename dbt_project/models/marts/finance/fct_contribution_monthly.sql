-- depends_on: {{ ref('int_month_watermarks') }}
-- The contribution waterfall (客户利润贡献) per account and month, core and card accounts alike, every step its own
-- column (CNY, each step rounded to the cent as it enters here, so the subtotals are exact sums of the rounded steps):
--   net_interest_contribution = interest_income − ftp_charge + ftp_credit − interest_expense
--   net_contribution          = net_interest_contribution + fee_income − allocated_operating_cost − credit_cost
--   (credit_cost: expected loss while an exposure performs, the stage-3 provision movement once it has defaulted;
--   expected_loss stays beside it as the contractual view, int_credit_cost_account_monthly)
--   economic_profit           = net_contribution − capital_charge
-- Sums over any set of rows (customer, product, branch, RM) add up:
-- tests/reconciliation/assert_contribution_rollups_agree.sql.
with keys as (
    select *
    from {{ ref('int_measured_accounts_monthly') }}
    where {{ months_to_rebuild() }}
),

ftp as (
    select * from {{ ref('int_ftp_account_monthly') }}
),

interest as (
    select * from {{ ref('int_interest_account_monthly') }}
),

fees as (
    select * from {{ ref('int_fee_income_account_monthly') }}
),

costs as (
    select month_start, account_id, sum(allocated_amount) as allocated_operating_cost
    from {{ ref('int_cost_allocation_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start') }}
    group by month_start, account_id
),

risk as (
    select * from {{ ref('int_risk_account_monthly') }}
),

capital as (
    select * from {{ ref('int_capital_account_monthly') }}
),

credit_cost as (
    select * from {{ ref('int_credit_cost_account_monthly') }}
),

customers as (
    select customer_key, party_id, valid_from from {{ ref('dim_customer') }}
),

watermarks as (
    select month_start, observed_days from {{ ref('int_month_watermarks') }}
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
        w.observed_days,
        coalesce(ftp.average_daily_balance_cny, 0) as average_daily_balance_cny,
        ftp.ftp_method,
        ftp.ftp_rate,
        coalesce(ftp.is_curve_currency_fallback or ftp.is_curve_date_fallback, false) as is_ftp_curve_fallback,
        cast(coalesce(interest.interest_income, 0) as decimal(18, 2)) as interest_income,
        cast(coalesce(interest.interest_expense, 0) as decimal(18, 2)) as interest_expense,
        cast(coalesce(ftp.ftp_charge, 0) as decimal(18, 2)) as ftp_charge,
        cast(coalesce(ftp.ftp_credit, 0) as decimal(18, 2)) as ftp_credit,
        cast(coalesce(fees.fee_income, 0) as decimal(18, 2)) as fee_income,
        cast(coalesce(costs.allocated_operating_cost, 0) as decimal(18, 2)) as allocated_operating_cost,
        coalesce(risk.exposure_at_default_cny, 0) as exposure_at_default_cny,
        cast(coalesce(risk.expected_loss, 0) as decimal(18, 2)) as expected_loss,
        cast(coalesce(credit_cost.provision_charge, 0) as decimal(18, 2)) as provision_charge,
        cast(coalesce(credit_cost.credit_cost, 0) as decimal(18, 2)) as credit_cost,
        cast(coalesce(capital.economic_capital, 0) as decimal(18, 2)) as economic_capital,
        cast(coalesce(capital.capital_charge, 0) as decimal(18, 2)) as capital_charge,
        k._max_batch_id
    from keys as k
    left join ftp on ftp.month_start = k.month_start and ftp.account_id = k.account_id
    left join interest on interest.month_start = k.month_start and interest.account_id = k.account_id
    left join fees on fees.month_start = k.month_start and fees.account_id = k.account_id
    left join costs on costs.month_start = k.month_start and costs.account_id = k.account_id
    left join risk on risk.month_start = k.month_start and risk.account_id = k.account_id
    left join capital on capital.month_start = k.month_start and capital.account_id = k.account_id
    left join credit_cost on credit_cost.month_start = k.month_start and credit_cost.account_id = k.account_id
    left join watermarks as w on w.month_start = k.month_start
    asof left join customers as c on c.party_id = k.party_id and k.as_of_on >= c.valid_from
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
        observed_days,
        cast(average_daily_balance_cny as decimal(18, 2)) as average_daily_balance_cny,
        ftp_method,
        ftp_rate,
        is_ftp_curve_fallback,
        cast(interest_income as decimal(18, 2)) as interest_income,
        cast(interest_expense as decimal(18, 2)) as interest_expense,
        cast(ftp_charge as decimal(18, 2)) as ftp_charge,
        cast(ftp_credit as decimal(18, 2)) as ftp_credit,
        cast(interest_income - ftp_charge + ftp_credit - interest_expense as decimal(18, 2))
            as net_interest_contribution,
        cast(fee_income as decimal(18, 2)) as fee_income,
        cast(allocated_operating_cost as decimal(18, 2)) as allocated_operating_cost,
        cast(exposure_at_default_cny as decimal(18, 2)) as exposure_at_default_cny,
        cast(expected_loss as decimal(18, 2)) as expected_loss,
        cast(provision_charge as decimal(18, 2)) as provision_charge,
        cast(credit_cost as decimal(18, 2)) as credit_cost,
        cast(interest_income - ftp_charge + ftp_credit - interest_expense + fee_income
             - allocated_operating_cost - credit_cost as decimal(18, 2)) as net_contribution,
        cast(economic_capital as decimal(18, 2)) as economic_capital,
        cast(capital_charge as decimal(18, 2)) as capital_charge,
        cast(interest_income - ftp_charge + ftp_credit - interest_expense + fee_income
             - allocated_operating_cost - credit_cost - capital_charge as decimal(18, 2)) as economic_profit,
        _max_batch_id
    from steps
)

select * from final
