-- Cost drivers: the volume of each costed activity per account and month (activity-based costing).
--   transactions    core and card transactions by channel (seed channel_activities; reversals excluded), in the
--                   month of the business date they were posted on;
--   maintenance     one account_maintained per core account, loan_serviced per loan, card_maintained per card, for
--                   each month the account was open at some observed day;
--   RM relationship one rm_relationship per party with an RM at the month's last observed day, split equally over
--                   the party's accounts open in the month.
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

unioned as (
    select month_start, account_id, activity_code, cast(volume as decimal(18, 6)) as volume
    from transaction_volumes
    union all
    select month_start, account_id, activity_code, cast(volume as decimal(18, 6))
    from maintenance_volumes
    union all
    select month_start, account_id, activity_code, cast(volume as decimal(18, 6))
    from rm_relationships
),

final as (
    select
        u.month_start,
        u.account_id,
        u.activity_code,
        a.branch_code,
        a.customer_type_code,
        cast(sum(u.volume) as decimal(18, 6)) as volume,
        any_value(months._max_batch_id) as _max_batch_id
    from unioned as u
    inner join months on months.month_start = u.month_start
    inner join accounts as a on a.month_start = u.month_start and a.account_id = u.account_id
    group by u.month_start, u.account_id, u.activity_code, a.branch_code, a.customer_type_code
)

select * from final
