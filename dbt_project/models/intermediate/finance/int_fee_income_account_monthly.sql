-- Fee and commission income per account and month, CNY. Core: the fee charged with each transaction (plus the
-- amount of a FEE transaction, which is a fee itself), converted at the rate of the transaction day. Cards: annual fees,
-- installment fees, cash-advance fees and the interchange the issuer earns on each transaction, converted at the rate
-- of the transaction day. Reversals count negative. Transactions count in the month of the business date they were
-- posted (delivered) on.
with months as (
    {{ months_to_build() }}
),

core_fees as (
    select
        months.month_start,
        t.account_no as account_id,
        sum(
            {{ to_cny(
                "(t.fee_amount + case when t.txn_type_code = 'FEE' then t.amount else 0 end)"
                ~ " * case when t.is_reversal then -1 else 1 end",
                'fx.cny_per_unit') }}
        ) as transaction_fees
    from {{ ref('stg_core__transactions') }} as t
    inner join months on months.month_start = {{ month_start('t._delivered_on') }}
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.currency_code = t.currency_code and fx.rate_on = t.txn_on
    where (t.fee_amount <> 0 or t.txn_type_code = 'FEE')
      and {{ since_first_rebuilt_month('t._delivered_on', 'months') }}
    group by months.month_start, t.account_no
),

card_fees as (
    select
        months.month_start,
        t.card_no as account_id,
        sum(case when t.txn_type_code = 'AFE' then t.signed_amount_cny else 0 end) as annual_fees,
        sum(case when t.txn_type_code = 'IFE' then t.signed_amount_cny else 0 end) as installment_fees,
        sum(case when t.txn_type_code = 'CFE' then t.signed_amount_cny else 0 end) as cash_advance_fees,
        sum(t.signed_interchange_cny) as interchange_income
    from (
        select
            ct.*,
            {{ to_cny('case when ct.is_reversal then -ct.amount else ct.amount end', 'fx.cny_per_unit') }}
                as signed_amount_cny,
            {{ to_cny('case when ct.is_reversal then -ct.interchange_fee else ct.interchange_fee end',
                      'fx.cny_per_unit') }} as signed_interchange_cny
        from {{ ref('stg_cards__card_transactions') }} as ct
        left join {{ ref('int_fx_rates_daily') }} as fx
            on fx.currency_code = ct.currency_code and fx.rate_on = ct.txn_on
        where (ct.txn_type_code in ('AFE', 'IFE', 'CFE') or ct.interchange_fee <> 0)
          and {{ since_first_rebuilt_month('ct._delivered_on', 'months') }}
    ) as t
    inner join months on months.month_start = {{ month_start('t._delivered_on') }}
    group by months.month_start, t.card_no
),

unioned as (
    select month_start, account_id, transaction_fees, 0 as annual_fees, 0 as installment_fees,
           0 as cash_advance_fees, 0 as interchange_income
    from core_fees
    union all
    select month_start, account_id, 0, annual_fees, installment_fees, cash_advance_fees, interchange_income
    from card_fees
),

final as (
    select
        u.month_start,
        u.account_id,
        cast(sum(u.transaction_fees) as decimal(18, 2)) as transaction_fees,
        cast(sum(u.annual_fees) as decimal(18, 2)) as annual_fees,
        cast(sum(u.installment_fees) as decimal(18, 2)) as installment_fees,
        cast(sum(u.cash_advance_fees) as decimal(18, 2)) as cash_advance_fees,
        cast(sum(u.interchange_income) as decimal(18, 2)) as interchange_income,
        cast(sum(u.transaction_fees + u.annual_fees + u.installment_fees + u.cash_advance_fees
                 + u.interchange_income) as decimal(18, 2)) as fee_income,
        any_value(months._max_batch_id) as _max_batch_id
    from unioned as u
    inner join months on months.month_start = u.month_start
    group by u.month_start, u.account_id
)

select * from final
