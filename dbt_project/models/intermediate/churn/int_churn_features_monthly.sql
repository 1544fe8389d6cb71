{{ config(materialized='table', post_hook="{{ record_rebuild_inputs('churn_features_rebuild_state') }}") }}
-- Point-in-time features of each personal customer at each complete month end T, the input of the churn and value
-- models (models/): every figure reads month T and the months before it only (monthly models computed from data up
-- to their month end, windows that look back, versions valid at T), so a feature at T never sees data after T.
-- tests/e2e/test_churn_leakage.py builds a bank cut at T and compares. Ratios are DECIMAL like every modelled column.
-- A daily build recomputes it only when a complete month or the state it reads may have changed, else carries it
-- over (macros/rebuild_when_inputs_change.sql, churn_features_rebuild_state).
with months as (
    select month_start, month_end, row_number() over (order by month_start) as month_no
    from {{ ref('int_month_watermarks') }}
    where is_complete
),

population as (
    select pa.month_start, m.month_end, m.month_no, pa.party_id, pa.rm_id, pa.home_branch_code, pa.risk_rating_code
    from {{ ref('int_party_attributes_monthly') }} as pa
    inner join months as m on m.month_start = pa.month_start
    where pa.customer_type_code = 'P'
),

product_lines as (
    select count(distinct product_line_code) as lines from {{ ref('stg_ref__products') }}
),

maturing as (
    -- term deposits open at T that mature within the next three months (the rate-shopping moment)
    select
        a.month_start,
        a.party_id,
        count(*) as maturing_deposits,
        sum(b.month_end_balance_cny) as maturing_deposit_cny
    from {{ ref('int_account_attributes_monthly') }} as a
    inner join months as m on m.month_start = a.month_start
    inner join {{ ref('int_core_account_balances_monthly') }} as b
        on b.month_start = a.month_start and b.account_id = a.account_id
    where a.is_term_product and a.product_line_code = 'DEPOSIT'
      and (a.closed_on is null or a.closed_on > m.month_end)
      and a.matures_on > m.month_end and a.matures_on <= {{ add_months('m.month_end', 3) }}
    group by a.month_start, a.party_id
),

contribution as (
    select month_start, party_id, sum(net_contribution) as net_contribution, sum(economic_profit) as economic_profit
    from {{ ref('fct_contribution_monthly') }}
    where party_id is not null
    group by month_start, party_id
),

panel as (
    select
        p.*,
        pp.first_opened_on,
        coalesce(e.products_held, 0) as products_held,
        coalesce(e.product_lines_held, 0) as product_lines_held,
        coalesce(e.accounts_open, 0) as accounts_open,
        coalesce(aum.aum_cny, 0) as aum_cny,
        coalesce(aum.month_end_aum_cny, 0) as month_end_aum_cny,
        coalesce(aum.loan_adb_cny, 0) as loan_adb_cny,
        coalesce(aum.card_adb_cny, 0) as card_adb_cny,
        coalesce(act.customer_transactions, 0) as customer_transactions,
        coalesce(act.digital_transactions, 0) as digital_transactions,
        coalesce(act.counter_transactions, 0) as counter_transactions,
        coalesce(act.card_transactions, 0) as card_transactions,
        coalesce(act.salary_credits, 0) as salary_credits,
        coalesce(act.reversed_transactions, 0) as reversed_transactions,
        coalesce(mat.maturing_deposits, 0) as maturing_deposits,
        coalesce(mat.maturing_deposit_cny, 0) as maturing_deposit_cny,
        coalesce(c.net_contribution, 0) as net_contribution,
        coalesce(c.economic_profit, 0) as economic_profit,
        risk.worst_five_class_code,
        coalesce(risk.max_days_past_due, 0) as max_days_past_due,
        lo.days_since_last_transaction
    from population as p
    inner join {{ ref('int_parties') }} as pp on pp.party_id = p.party_id
    left join {{ ref('int_party_engagement_monthly') }} as e
        on e.month_start = p.month_start and e.party_id = p.party_id
    left join {{ ref('int_customer_aum_monthly') }} as aum
        on aum.month_start = p.month_start and aum.party_id = p.party_id
    left join {{ ref('int_churn_activity_monthly') }} as act
        on act.month_start = p.month_start and act.party_id = p.party_id
    left join maturing as mat on mat.month_start = p.month_start and mat.party_id = p.party_id
    left join contribution as c on c.month_start = p.month_start and c.party_id = p.party_id
    left join {{ ref('int_customer_risk_monthly') }} as risk
        on risk.month_start = p.month_start and risk.party_id = p.party_id
    left join {{ ref('int_customer_loyalty_monthly') }} as lo
        on lo.month_start = p.month_start and lo.party_id = p.party_id
),

windows as (
    select
        *,
        avg(aum_cny) over prev3 as aum_prev3_cny,
        stddev_pop(aum_cny) over last6 as aum_sd6_cny,
        avg(aum_cny) over last6 as aum_avg6_cny,
        avg(customer_transactions) over prev3 as transactions_prev3,
        avg(digital_transactions) over prev3 as digital_prev3,
        avg(counter_transactions) over prev3 as counter_prev3,
        avg(card_transactions) over prev3 as card_prev3,
        sum(salary_credits) over prev3 as salary_prev3,
        sum(reversed_transactions) over last3 as reversed_3m,
        -- money averages as exact sums and counts (divided by divide_round below), never through a DOUBLE average
        sum(net_contribution) over prev3 as contribution_sum_prev3,
        count(net_contribution) over prev3 as contribution_months_prev3,
        sum(economic_profit) over last12 as economic_profit_sum_12m,
        count(*) over last12 as months_observed_12m,
        -- more than one RM over the three months: their smallest and largest differ (Spark has no distinct window)
        min(rm_id) over last3 as min_rm_last3,
        max(rm_id) over last3 as max_rm_last3,
        lag(rm_id) over by_month as previous_rm_id,
        lag(products_held, 3) over by_month as products_3m_ago
    from panel
    window
        by_month as (partition by party_id order by month_no),
        prev3 as (partition by party_id order by month_no rows between 3 preceding and 1 preceding),
        last3 as (partition by party_id order by month_no rows between 2 preceding and current row),
        last6 as (partition by party_id order by month_no rows between 5 preceding and current row),
        last12 as (partition by party_id order by month_no rows between 11 preceding and current row)
),

rm_changes as (
    -- the month number of the latest RM change (another RM than the month before) within the last twelve months
    select
        *,
        max(case when previous_rm_id is not null and previous_rm_id <> rm_id then month_no end) over last12
            as last_rm_change_month_no
    from windows
    window last12 as (partition by party_id order by month_no rows between 11 preceding and current row)
),

final as (
    select
        month_start,
        party_id,
        rm_id,
        home_branch_code,
        cast({{ month_diff('first_opened_on', 'month_end') }} as integer) as tenure_months,
        cast(products_held as integer) as products_held,
        cast(product_lines_held / (select lines from product_lines) as decimal(9, 6)) as cross_sell_ratio,
        cast(products_held - coalesce(products_3m_ago, products_held) as integer) as products_change_3m,
        cast(aum_cny as decimal(18, 2)) as aum_cny,
        cast(aum_cny / nullif(aum_prev3_cny, 0) as decimal(18, 6)) as aum_trend_3m,
        cast(month_end_aum_cny / nullif(aum_cny, 0) as decimal(18, 6)) as month_end_to_average_aum,
        cast(aum_sd6_cny / nullif(aum_avg6_cny, 0) as decimal(18, 6)) as aum_volatility_6m,
        cast(maturing_deposits as integer) as maturing_deposits_3m,
        cast(maturing_deposit_cny / nullif(month_end_aum_cny, 0) as decimal(18, 6)) as maturing_share_3m,
        cast(customer_transactions as integer) as transactions,
        cast(customer_transactions / nullif(transactions_prev3, 0) as decimal(18, 6)) as transactions_trend_3m,
        cast(digital_transactions as integer) as digital_transactions,
        cast(digital_transactions / nullif(digital_prev3, 0) as decimal(18, 6)) as digital_trend_3m,
        cast(counter_transactions as integer) as counter_transactions,
        cast(counter_transactions / nullif(counter_prev3, 0) as decimal(18, 6)) as counter_trend_3m,
        cast(card_transactions as integer) as card_transactions,
        cast(card_transactions / nullif(card_prev3, 0) as decimal(18, 6)) as card_trend_3m,
        cast(salary_credits as integer) as salary_credits,
        coalesce(salary_prev3 > 0 and salary_credits = 0, false) as is_salary_stopped,
        cast(reversed_3m as integer) as reversed_transactions_3m,
        cast(days_since_last_transaction as integer) as days_since_last_transaction,
        coalesce(min_rm_last3 <> max_rm_last3, false) as is_rm_changed_3m,
        coalesce(previous_rm_id is distinct from rm_id and month_no > 1 and previous_rm_id is not null, false)
            as is_rm_changed_1m,
        cast(month_no - last_rm_change_month_no as integer) as months_since_rm_change,
        cast(net_contribution as decimal(18, 2)) as net_contribution,
        -- the month's contribution less the average of the three before: (net x n - sum) / n, rounded once
        cast({{ divide_round('net_contribution * contribution_months_prev3 - contribution_sum_prev3',
                             'contribution_months_prev3', 2) }} as decimal(18, 2)) as contribution_change_3m,
        cast({{ divide_round('economic_profit_sum_12m', 'months_observed_12m', 2) }} as decimal(18, 2))
            as economic_profit_monthly_12m,
        cast(months_observed_12m as integer) as months_observed_12m,
        cast(loan_adb_cny as decimal(18, 2)) as loan_adb_cny,
        cast(card_adb_cny as decimal(18, 2)) as card_adb_cny,
        coalesce(worst_five_class_code, '无') as worst_five_class_code,
        cast(max_days_past_due as integer) as max_days_past_due,
        risk_rating_code
    from rm_changes
)

{% if rebuild_needed('churn_features_rebuild_state') %}
select * from final
{% else %}
{{ carried_over() }}
{% endif %}
