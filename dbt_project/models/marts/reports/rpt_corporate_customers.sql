-- Corporate customers per party and month: industry and group, deposits, loans, credit exposure against the approved
-- credit lines (limit use), the group's total exposure, the worst loan class and the net contribution.
with months as (
    {{ months_to_build() }}
),

corporates as (
    select pa.*
    from {{ ref('int_party_attributes_monthly') }} as pa
    inner join months on months.month_start = pa.month_start
    where pa.customer_type_code = 'C'
),

history as (
    select cif_no, industry_code, group_code, valid_from, valid_to from {{ ref('snap_core__customers') }}
),

loans as (
    select
        l.month_start,
        a.party_id,
        sum(l.outstanding_principal) as outstanding_principal,
        sum(l.credit_limit) as credit_limit
    from (
        select s.*, months.month_start
        from {{ ref('stg_core__loans') }} as s
        inner join months on s.snapshot_on between months.month_start and {{ month_end('months.month_start') }}
        qualify s.snapshot_on = max(s.snapshot_on) over (partition by months.month_start)
    ) as l
    inner join {{ ref('int_accounts') }} as a on a.account_id = l.loan_account_no
    group by l.month_start, a.party_id
),

contribution as (
    select
        f.month_start,
        f.party_id,
        sum(case when f.product_line_code = 'DEPOSIT' then f.average_daily_balance_cny else 0 end) as deposits_adb_cny,
        sum(case when f.product_line_code = 'LOAN' then f.average_daily_balance_cny else 0 end) as loans_adb_cny,
        sum(f.net_contribution) as net_contribution,
        sum(f.economic_profit) as economic_profit
    from {{ ref('fct_contribution_monthly') }} as f
    inner join months on months.month_start = f.month_start
    group by f.month_start, f.party_id
),

risk as (
    select month_start, party_id, worst_five_class_code, exposure_at_default_cny, expected_loss
    from {{ ref('int_customer_risk_monthly') }}
),

parties as (
    select party_id, survivor_cif_no from {{ ref('int_parties') }}
),

combined as (
    select
        c.month_start,
        c.party_id,
        h.industry_code,
        h.group_code,
        c.risk_rating_code,
        coalesce(con.deposits_adb_cny, 0) as deposits_adb_cny,
        coalesce(con.loans_adb_cny, 0) as loans_adb_cny,
        coalesce(loans.outstanding_principal, 0) as credit_exposure_cny,
        coalesce(loans.credit_limit, 0) as credit_limit_cny,
        risk.worst_five_class_code,
        coalesce(risk.exposure_at_default_cny, 0) as exposure_at_default_cny,
        coalesce(risk.expected_loss, 0) as expected_loss,
        coalesce(con.net_contribution, 0) as net_contribution,
        coalesce(con.economic_profit, 0) as economic_profit
    from corporates as c
    inner join parties as p on p.party_id = c.party_id
    left join history as h
        on h.cif_no = p.survivor_cif_no and c.as_of_on >= h.valid_from and c.as_of_on < h.valid_to
    left join loans on loans.month_start = c.month_start and loans.party_id = c.party_id
    left join contribution as con on con.month_start = c.month_start and con.party_id = c.party_id
    left join risk on risk.month_start = c.month_start and risk.party_id = c.party_id
),

final as (
    select
        cb.month_start,
        cb.party_id,
        cb.industry_code,
        cb.group_code,
        cb.risk_rating_code,
        cast(cb.deposits_adb_cny as decimal(18, 2)) as deposits_adb_cny,
        cast(cb.loans_adb_cny as decimal(18, 2)) as loans_adb_cny,
        cast(cb.credit_exposure_cny as decimal(18, 2)) as credit_exposure_cny,
        cast(cb.credit_limit_cny as decimal(18, 2)) as credit_limit_cny,
        case when cb.credit_limit_cny <> 0 then {{ ratio('cb.credit_exposure_cny', 'cb.credit_limit_cny') }}
        end as credit_limit_utilisation,
        cast(case when cb.group_code is not null
            then sum(cb.credit_exposure_cny) over (partition by cb.month_start, cb.group_code)
            else cb.credit_exposure_cny end as decimal(18, 2)) as group_credit_exposure_cny,
        cast(case when cb.group_code is not null
            then count(*) over (partition by cb.month_start, cb.group_code) else 1 end as integer) as group_members,
        cb.worst_five_class_code,
        cast(cb.exposure_at_default_cny as decimal(18, 2)) as exposure_at_default_cny,
        cast(cb.expected_loss as decimal(18, 2)) as expected_loss,
        cast(cb.net_contribution as decimal(18, 2)) as net_contribution,
        cast(cb.economic_profit as decimal(18, 2)) as economic_profit,
        {{ month_status('cb.month_start') }},
        months._max_batch_id
    from combined as cb
    inner join months on months.month_start = cb.month_start
)

select * from final
