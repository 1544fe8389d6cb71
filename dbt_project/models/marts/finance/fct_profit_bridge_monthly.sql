-- depends_on: {{ ref('int_month_watermarks') }}
-- The management-ledger bridge (利润还原) per month: what the customers contributed, what the FTP centre kept and
-- what no customer carries add up, to the cent, to the general ledger's pre-provision profit of the month
-- (docs/methodology.md, section 8, "The bridge to the ledger"). One row per month and line; the lines of a month sum
-- to the ledger figure (tests/reconciliation/assert_profit_bridge_reconciles_to_gl.sql; a critical GX check too):
--   customer contribution  Σ net_contribution of fct_contribution_monthly, one line per product line (the same total
--                          by customer, product, branch or RM: assert_contribution_rollups_agree);
--   add back               what the contribution deducts but the ledger extract does not book: credit cost (a
--                          management provision; the extract carries no impairment), output VAT and its surcharges
--                          (the extract books income gross, 价税合计, and no tax);
--   FTP centre             Σ FTP charges − Σ FTP credits over every priced account (int_ftp_account_monthly): the
--                          reserve-requirement cost and the deposit-insurance premium it kept from the deposits' credit,
--                          and the rest, its spread and the mismatch of the book's terms and repricing it carries;
--   unallocated cost       the operating expense on residual lines (no driver in scope), negative;
--   non-customer items     interest and fees booked in the ledger beyond what the accounts carry, and the fee
--                          expense (手续费及佣金支出), which no account is charged;
--   imputed overdraft      the overdraft interest the warehouse imputes on overdrawn deposits
--     interest             (int_interest_account_monthly): in the contribution, never booked in the ledger, deducted.
-- Income tax and the capital charge are below this line (the ledger extract has neither).
with months as (
    {{ months_to_build(['observed_days', 'is_complete']) }}
),

contribution as (
    select
        f.month_start,
        f.product_line_code,
        sum(f.net_contribution) as net_contribution,
        sum(f.interest_income) - sum(f.interest_expense) as net_interest,
        sum(f.fee_income) as fee_income
    from {{ ref('fct_contribution_monthly') }} as f
    inner join months on months.month_start = f.month_start
    group by f.month_start, f.product_line_code
),

credit_cost as (
    select c.month_start, sum(c.credit_cost) as amount
    from {{ ref('int_credit_cost_account_monthly') }} as c
    inner join months on months.month_start = c.month_start
    group by c.month_start
),

vat as (
    select v.month_start, sum(v.output_vat) as output_vat, sum(v.vat_surcharges) as vat_surcharges
    from {{ ref('int_vat_account_monthly') }} as v
    inner join months on months.month_start = v.month_start
    group by v.month_start
),

ftp_centre as (
    select
        ftp.month_start,
        sum(ftp.ftp_charge) - sum(ftp.ftp_credit) as result,
        sum(ftp.reserve_cost_amount) as reserve_cost,
        sum(ftp.deposit_insurance_amount) as deposit_insurance
    from {{ ref('int_ftp_account_monthly') }} as ftp
    inner join months on months.month_start = ftp.month_start
    group by ftp.month_start
),

residual_cost as (
    select r.month_start, sum(r.allocated_amount) as amount
    from {{ ref('int_cost_allocation_branch_monthly') }} as r
    inner join months on months.month_start = r.month_start
    where r.activity_code = 'RESIDUAL'
    group by r.month_start
),

ledger as (
    select
        e.month_start,
        sum(case when coa.gl_role = 'interest_income' then -e.debit_amount_signed else 0 end)
        - sum(case when coa.gl_role = 'interest_expense' then e.debit_amount_signed else 0 end) as net_interest,
        sum(case when coa.gl_role = 'fee_income' then -e.debit_amount_signed else 0 end) as fee_income,
        sum(case when coa.gl_role = 'fee_expense' then e.debit_amount_signed else 0 end) as fee_expense
    from {{ ref('stg_accounting__ledger_entries') }} as e
    inner join months on months.month_start = e.month_start
    inner join {{ ref('stg_accounting__chart_of_accounts') }} as coa on coa.gl_account_code = e.gl_account_code
    where coa.gl_role in ('interest_income', 'interest_expense', 'fee_income', 'fee_expense')
    group by e.month_start
),

-- overdraft interest the warehouse imputes on overdrawn deposits: in the customers' contribution, not in the ledger
imputed_interest as (
    select i.month_start, sum(i.overdraft_interest_income) as amount
    from {{ ref('int_interest_account_monthly') }} as i
    inner join months on months.month_start = i.month_start
    group by i.month_start
),

customer_totals as (
    select month_start, sum(net_interest) as net_interest, sum(fee_income) as fee_income
    from contribution
    group by month_start
),

lines as (
    select
        c.month_start,
        case c.product_line_code when 'DEPOSIT' then 1 when 'LOAN' then 2 when 'CARD' then 3 else 4 end as line_order,
        'CUSTOMER_' || coalesce(c.product_line_code, 'OTHER') as line_code,
        '客户贡献' as line_group,
        case c.product_line_code
            when 'DEPOSIT' then '存款客户净贡献'
            when 'LOAN' then '贷款客户净贡献'
            when 'CARD' then '信用卡客户净贡献'
            when 'WEALTH' then '理财及其他客户净贡献'
            else '其他客户净贡献'
        end as line_name,
        c.net_contribution as amount
    from contribution as c
    union all
    select m.month_start, 5, 'ADD_BACK_CREDIT_COST', '加回', '加回：信用成本（管理口径拨备）', coalesce(cc.amount, 0)
    from months as m left join credit_cost as cc on cc.month_start = m.month_start
    union all
    select m.month_start, 6, 'ADD_BACK_OUTPUT_VAT', '加回', '加回：销项增值税', coalesce(v.output_vat, 0)
    from months as m left join vat as v on v.month_start = m.month_start
    union all
    select m.month_start, 7, 'ADD_BACK_VAT_SURCHARGES', '加回', '加回：增值税附加', coalesce(v.vat_surcharges, 0)
    from months as m left join vat as v on v.month_start = m.month_start
    union all
    select m.month_start, 8, 'FTP_CENTRE_MISMATCH', 'FTP中心', 'FTP中心：利差与期限错配',
           coalesce(f.result - f.reserve_cost - f.deposit_insurance, 0)
    from months as m left join ftp_centre as f on f.month_start = m.month_start
    union all
    select m.month_start, 9, 'FTP_CENTRE_RESERVE_COST', 'FTP中心', 'FTP中心：存款准备金成本', coalesce(f.reserve_cost, 0)
    from months as m left join ftp_centre as f on f.month_start = m.month_start
    union all
    select m.month_start, 10, 'FTP_CENTRE_DEPOSIT_INSURANCE', 'FTP中心', 'FTP中心：存款保险费',
           coalesce(f.deposit_insurance, 0)
    from months as m left join ftp_centre as f on f.month_start = m.month_start
    union all
    select m.month_start, 11, 'UNALLOCATED_COST', '非客户项目', '未分摊运营费用', -coalesce(r.amount, 0)
    from months as m left join residual_cost as r on r.month_start = m.month_start
    union all
    select m.month_start, 12, 'NON_CUSTOMER_INTEREST', '非客户项目', '未归属客户的利息收支',
           coalesce(l.net_interest, 0) - coalesce(t.net_interest, 0) + coalesce(o.amount, 0)
    from months as m
    left join ledger as l on l.month_start = m.month_start
    left join customer_totals as t on t.month_start = m.month_start
    left join imputed_interest as o on o.month_start = m.month_start
    union all
    select m.month_start, 14, 'DEDUCT_IMPUTED_OVERDRAFT_INTEREST', '加回', '扣回：透支利息（管理口径，账务未记）',
           -o.amount
    from months as m inner join imputed_interest as o on o.month_start = m.month_start
    where o.amount <> 0  -- a line only in the months with overdraft interest
    union all
    select m.month_start, 13, 'NON_CUSTOMER_FEES', '非客户项目', '未归属客户的手续费收支（含手续费支出）',
           coalesce(l.fee_income, 0) - coalesce(l.fee_expense, 0) - coalesce(t.fee_income, 0)
    from months as m
    left join ledger as l on l.month_start = m.month_start
    left join customer_totals as t on t.month_start = m.month_start
),

final as (
    select
        l.month_start,
        cast(l.line_order as integer) as line_order,
        l.line_code,
        l.line_group,
        -- the ordinal keeps the lines in bridge order wherever they are sorted by name (the dashboard's waterfall)
        lpad(cast(l.line_order as string), 2, '0') || ' ' || l.line_name as step_name,
        cast(l.amount as decimal(18, 2)) as amount,
        months.observed_days,
        months.is_complete as is_month_complete,
        months._max_batch_id
    from lines as l
    inner join months on months.month_start = l.month_start
)

select * from final
