-- VAT on the income of each account and month (价税分离; docs/methodology.md, section 4): the interest a loan or card
-- pays and the fees a customer pays include output VAT (销项税额), so the bank's income is the price net of it.
--   output_vat      interest income × vat_rate / (1 + vat_rate) + fee income × vat_rate / (1 + vat_rate), each part
--                   rounded to the cent (deposit interest the bank pays carries no VAT and no input VAT is credited);
--   vat_surcharges  output_vat × vat_surcharge_rate, to the cent (城建税, 教育费附加, 地方教育附加: 税金及附加).
-- The contribution fact deducts both; the ledger extract books income gross (价税合计) and no tax, so the bridge to
-- the ledger adds them back as its tax line (fct_profit_bridge_monthly).
with months as (
    {{ months_to_build() }}
),

interest as (
    select i.month_start, i.account_id, i.interest_income
    from {{ ref('int_interest_account_monthly') }} as i
    inner join months on months.month_start = i.month_start
),

fees as (
    select f.month_start, f.account_id, f.fee_income
    from {{ ref('int_fee_income_account_monthly') }} as f
    inner join months on months.month_start = f.month_start
),

income as (
    select
        coalesce(i.month_start, f.month_start) as month_start,
        coalesce(i.account_id, f.account_id) as account_id,
        coalesce(i.interest_income, 0) as interest_income,
        coalesce(f.fee_income, 0) as fee_income
    from interest as i
    full outer join fees as f on f.month_start = i.month_start and f.account_id = i.account_id
),

vat as (
    select
        month_start,
        account_id,
        interest_income,
        fee_income,
        cast({{ divide_round('cast(interest_income as ' ~ amount_type(19) ~ ') * ' ~ param('vat_rate'),
                             '1 + ' ~ param('vat_rate'), 2) }} as decimal(18, 2)) as output_vat_on_interest,
        cast({{ divide_round('cast(fee_income as ' ~ amount_type(19) ~ ') * ' ~ param('vat_rate'),
                             '1 + ' ~ param('vat_rate'), 2) }} as decimal(18, 2)) as output_vat_on_fees
    from income
    where interest_income <> 0 or fee_income <> 0
),

final as (
    select
        v.month_start,
        v.account_id,
        cast(v.interest_income as decimal(18, 2)) as interest_income,
        cast(v.fee_income as decimal(18, 2)) as fee_income,
        v.output_vat_on_interest,
        v.output_vat_on_fees,
        cast(v.output_vat_on_interest + v.output_vat_on_fees as decimal(18, 2)) as output_vat,
        {{ round_money('cast(v.output_vat_on_interest + v.output_vat_on_fees as ' ~ amount_type(19) ~ ') * '
                       ~ param('vat_surcharge_rate')) }} as vat_surcharges,
        months._max_batch_id
    from vat as v
    inner join months on months.month_start = v.month_start
)

select * from final
