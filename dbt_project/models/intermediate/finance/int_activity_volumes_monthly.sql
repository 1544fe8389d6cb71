-- Cost drivers: the volume of each costed activity per account and month (activity-based costing).
--   transactions    core and card transactions by channel (seed channel_activities; reversals excluded), in the
--                   month of the business date they were posted on;
--   maintenance     one account_maintained per core account, loan_serviced per loan, card_maintained per card, for
--                   each month the account was open at some observed day;
--   RM relationship one rm_relationship per party with an RM at the month's last observed day, split equally over
--                   the party's accounts open in the month;
--   ho_overhead     the driver head-office overhead is allocated by (seed overhead_allocation), in CNY: INCOME, the
--                   account's operating income after FTP (interest income − FTP charge + FTP credit − interest
--                   expense + fee income; none when negative), or RWA, its risk-weighted assets.
-- Each row carries the account's branch and the owner's customer type: the allocation's scope.
with months as (
    {{ months_to_build(['as_of_on']) }}
),

accounts as (
    select a.*
    from {{ ref('int_account_attributes_monthly') }} as a
    inner join months on months.month_start = a.month_start
),

open_accounts as (
    select * from accounts where is_open_in_month
),

channel_activities as (
    select * from {{ ref('channel_activities') }} where activity_code is not null
),

transaction_volumes as (
    select
        months.month_start,
        t.account_no as account_id,
        ca.activity_code,
        count(*) as volume
    from {{ ref('stg_core__transactions') }} as t
    inner join months on months.month_start = {{ month_start('t._delivered_on') }}
    inner join channel_activities as ca on ca.source_system = 'core' and ca.channel_code = t.channel_code
    where not t.is_reversal and {{ since_first_rebuilt_month('t._delivered_on', 'months') }}
    group by all
    union all
    select
        months.month_start,
        t.card_no,
        ca.activity_code,
        count(*)
    from {{ ref('stg_cards__card_transactions') }} as t
    inner join months on months.month_start = {{ month_start('t._delivered_on') }}
    inner join channel_activities as ca on ca.source_system = 'cards' and ca.channel_code = t.channel_code
    where not t.is_reversal and {{ since_first_rebuilt_month('t._delivered_on', 'months') }}
    group by all
),

maintenance_volumes as (
    select
        month_start,
        account_id,
        case
            when account_source = 'cards' then 'card_maintained'
            when product_line_code = 'LOAN' then 'loan_serviced'
            else 'account_maintained'
        end as activity_code,
        1 as volume
    from open_accounts
),

rm_relationships as (
    select
        o.month_start,
        o.account_id,
        'rm_relationship' as activity_code,
        {{ divide_round(1, 'count(*) over (partition by o.month_start, o.party_id)', 6) }} as volume
    from open_accounts as o
    inner join {{ ref('int_party_attributes_monthly') }} as pa
        on pa.month_start = o.month_start and pa.party_id = o.party_id
    where pa.rm_id is not null
),

operating_income as (
    select ftp.month_start, ftp.account_id, ftp.ftp_credit - ftp.ftp_charge as amount
    from {{ ref('int_ftp_account_monthly') }} as ftp
    inner join months on months.month_start = ftp.month_start
    union all
    select i.month_start, i.account_id, i.interest_income - i.interest_expense
    from {{ ref('int_interest_account_monthly') }} as i
    inner join months on months.month_start = i.month_start
    union all
    select f.month_start, f.account_id, f.fee_income
    from {{ ref('int_fee_income_account_monthly') }} as f
    inner join months on months.month_start = f.month_start
),

overhead_drivers as (
    select income.month_start, income.account_id, 'ho_overhead' as activity_code,
           greatest(sum(income.amount), 0) as volume
    from operating_income as income
    inner join {{ ref('overhead_allocation') }} as o on o.driver = 'INCOME'
    group by income.month_start, income.account_id
    union all
    select c.month_start, c.account_id, 'ho_overhead', greatest(c.risk_weighted_assets, 0)
    from {{ ref('int_capital_account_monthly') }} as c
    inner join months on months.month_start = c.month_start
    inner join {{ ref('overhead_allocation') }} as o on o.driver = 'RWA'
),

unioned as (
    select month_start, account_id, activity_code, cast(volume as decimal(18, 6)) as volume
    from transaction_volumes
    union all
    select month_start, account_id, activity_code, cast(volume as decimal(18, 6))
    from maintenance_volumes
    union all
    select month_start, account_id, activity_code, cast(volume as decimal(18, 6))
    from rm_relationships
    union all
    select month_start, account_id, activity_code, cast(volume as decimal(18, 6))
    from overhead_drivers
    where volume > 0
),

-- summed per account and activity before the account's branch and customer type are joined: accounts has one row
-- per month and account, so the join adds columns, not rows, and the volumes need no second grouping by them
-- (int_activity_volumes_monthly at scale 0.3, issue 12)
volumes as (
    select month_start, account_id, activity_code, cast(sum(volume) as decimal(18, 6)) as volume
    from unioned
    group by month_start, account_id, activity_code
),

final as (
    select
        v.month_start,
        v.account_id,
        v.activity_code,
        a.branch_code,
        a.customer_type_code,
        v.volume,
        months._max_batch_id
    from volumes as v
    inner join months on months.month_start = v.month_start
    inner join accounts as a on a.month_start = v.month_start and a.account_id = v.account_id
)

select * from final
