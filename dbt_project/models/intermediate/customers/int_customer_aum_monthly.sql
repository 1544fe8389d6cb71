-- Assets under management (管理资产) per party and month, and the AUM tier (the one model holding the tiering rule):
-- AUM = the month's average daily balance (月日均) of the party's deposits and wealth products, in CNY. A personal
-- customer is in the highest tier of seed aum_tiers whose minimum the AUM reaches (VIP ≥ 100k, wealth ≥ 1M, private
-- banking ≥ 6M CNY); corporate customers get no retail tier. Loan and card balances are kept alongside for the
-- reports.
with months as (
    {{ months_to_build(['is_complete']) }}
),

accounts as (
    select month_start, account_id, party_id, product_line_code, balance_side_code
    from {{ ref('int_account_attributes_monthly') }}
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

per_party as (
    select
        b.month_start,
        a.party_id,
        sum(case when a.product_line_code = 'DEPOSIT' then b.average_daily_balance_cny else 0 end) as deposit_adb_cny,
        sum(case when a.product_line_code = 'WEALTH' then b.average_daily_balance_cny else 0 end) as wealth_adb_cny,
        sum(case when a.product_line_code = 'LOAN' then b.average_daily_balance_cny else 0 end) as loan_adb_cny,
        sum(case when a.product_line_code = 'CARD' and a.balance_side_code = 'A'
                 then b.average_daily_balance_cny else 0 end) as card_adb_cny,
        sum(case when a.product_line_code in ('DEPOSIT', 'WEALTH') then b.month_end_balance_cny else 0 end)
            as month_end_aum_cny
    from balances as b
    inner join accounts as a on a.month_start = b.month_start and a.account_id = b.account_id
    where a.party_id is not null
    group by all
),

tiers as (
    select * from {{ ref('aum_tiers') }}
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
    asof left join tiers as t on p.deposit_adb_cny + p.wealth_adb_cny >= t.min_aum_cny
)

select * from final
