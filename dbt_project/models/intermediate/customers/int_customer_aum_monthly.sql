-- Assets under management (管理资产) per party and month, and the AUM tier (the one model holding the tiering rule):
-- AUM = the month's average daily balance (月日均) of the party's deposits and wealth products, in CNY. A personal
-- customer is in the highest tier of seed aum_tiers whose minimum the AUM reaches (VIP ≥ 100k, wealth ≥ 1M, private
-- banking ≥ 6M CNY); corporate customers get no retail tier. Loan and card balances are kept alongside for the
-- reports.
-- Account parties (int_account_parties): an account's balances count for its primary holder (the account's owner)
-- alone by default; with parameter joint_holder_aum_split = 1 they are shared equally between the primary holder and
-- the joint holders in force in the month (each party's sum rounded to the cent). Authorised users and guarantors
-- never carry an account's balances, but a personal customer related to an account only that way (no balance of its
-- own) still has a row: AUM 0.00 and the lowest tier, never no tier.
with months as (
    {{ months_to_build(['is_complete', 'month_end']) }}
),

accounts as (
    -- the months built only: the holder shares below are a window, which the months filter cannot pass
    select a.month_start, a.account_id, a.party_id, a.product_line_code, a.balance_side_code
    from {{ ref('int_account_attributes_monthly') }} as a
    inner join months on months.month_start = a.month_start
),

related as (
    select months.month_start, p.account_id, p.party_id, p.party_role_code
    from {{ ref('int_account_parties') }} as p
    inner join months
        on p.valid_from <= months.month_end and (p.valid_to is null or p.valid_to > months.month_start)
    where p.party_role_code <> '01'
),

holders as (
    select month_start, account_id, party_id, product_line_code, balance_side_code
    from accounts
    where party_id is not null
    union all
    select r.month_start, r.account_id, r.party_id, a.product_line_code, a.balance_side_code
    from related as r
    inner join accounts as a on a.month_start = r.month_start and a.account_id = r.account_id
    where r.party_role_code = '02' and {{ param('joint_holder_aum_split') }} = 1 and r.party_id <> a.party_id
),

shares as (
    select
        *,
        cast(1 as decimal(18, 12)) / count(*) over (partition by month_start, account_id) as holder_share
    from holders
),

balances as (
    select b.month_start, b.account_id, b.average_daily_balance_cny, b.month_end_balance_cny
    from {{ ref('int_core_account_balances_monthly') }} as b
    inner join months on months.month_start = b.month_start
    union all
    select c.month_start, c.account_id, c.average_daily_balance, c.closing_balance
    from {{ ref('int_card_balances_monthly') }} as c
    inner join months on months.month_start = c.month_start
),

per_party_balances as (
    select
        b.month_start,
        a.party_id,
        sum(case when a.product_line_code = 'DEPOSIT' then b.average_daily_balance_cny * a.holder_share else 0 end)
            as deposit_adb_cny,
        sum(case when a.product_line_code = 'WEALTH' then b.average_daily_balance_cny * a.holder_share else 0 end)
            as wealth_adb_cny,
        sum(case when a.product_line_code = 'LOAN' then b.average_daily_balance_cny * a.holder_share else 0 end)
            as loan_adb_cny,
        sum(case when a.product_line_code = 'CARD' and a.balance_side_code = 'A'
                 then b.average_daily_balance_cny * a.holder_share else 0 end) as card_adb_cny,
        sum(case when a.product_line_code in ('DEPOSIT', 'WEALTH') then b.month_end_balance_cny * a.holder_share
                 else 0 end) as month_end_aum_cny
    from balances as b
    inner join shares as a on a.month_start = b.month_start and a.account_id = b.account_id
    group by all
),

per_party as (
    select
        month_start,
        party_id,
        cast(round(deposit_adb_cny, 2) as decimal(18, 2)) as deposit_adb_cny,
        cast(round(wealth_adb_cny, 2) as decimal(18, 2)) as wealth_adb_cny,
        cast(round(loan_adb_cny, 2) as decimal(18, 2)) as loan_adb_cny,
        cast(round(card_adb_cny, 2) as decimal(18, 2)) as card_adb_cny,
        cast(round(month_end_aum_cny, 2) as decimal(18, 2)) as month_end_aum_cny
    from per_party_balances
    union all
    -- related to an account only as joint holder (not sharing), authorised user or guarantor: nothing of its own
    select distinct r.month_start, r.party_id, 0.00, 0.00, 0.00, 0.00, 0.00
    from related as r
    where not exists (
        select 1 from per_party_balances as pb where pb.month_start = r.month_start and pb.party_id = r.party_id
    )
),

tiers as (
    select * from {{ ref('aum_tiers') }}
),

-- each tier spans from its minimum up to the next tier's minimum (the highest tier has no ceiling)
tier_spans as (
    select
        aum_tier_code,
        min_aum_cny,
        lead(min_aum_cny) over (order by min_aum_cny) as next_min_aum_cny
    from tiers
),

parties as (
    select party_id, customer_type_code from {{ ref('int_parties') }}
),

final as (
    select
        p.month_start,
        p.party_id,
        parties.customer_type_code,
        cast(p.deposit_adb_cny as decimal(18, 2)) as deposit_adb_cny,
        cast(p.wealth_adb_cny as decimal(18, 2)) as wealth_adb_cny,
        cast(p.deposit_adb_cny + p.wealth_adb_cny as decimal(18, 2)) as aum_cny,
        cast(p.month_end_aum_cny as decimal(18, 2)) as month_end_aum_cny,
        cast(p.loan_adb_cny as decimal(18, 2)) as loan_adb_cny,
        cast(p.card_adb_cny as decimal(18, 2)) as card_adb_cny,
        case when parties.customer_type_code = 'P'
            then coalesce(t.aum_tier_code, (select aum_tier_code from tiers order by min_aum_cny limit 1))
        end as aum_tier_code,
        months.is_complete as is_month_complete,
        months._max_batch_id
    from per_party as p
    inner join months on months.month_start = p.month_start
    left join parties on parties.party_id = p.party_id
    left join tier_spans as t
        on p.deposit_adb_cny + p.wealth_adb_cny >= t.min_aum_cny
       and (t.next_min_aum_cny is null or p.deposit_adb_cny + p.wealth_adb_cny < t.next_min_aum_cny)
)

select * from final
