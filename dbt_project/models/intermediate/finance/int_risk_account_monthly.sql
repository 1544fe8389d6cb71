-- Risk cost per credit exposure and month (docs/methodology.md, "Expected loss"):
--   loans  the loan as it stood in the last daily snapshot of the month: the five-category class, days past due,
--          the PD and LGD from the core system raised to the floors of the class (seed five_class_risk_parameters);
--   cards  the month's statement: class from days past due (seed card_delinquency_classes), PD and LGD of the class;
--   EAD    outstanding (loans: principal; cards: statement balance, never below 0) + credit conversion factor × the
--          undrawn limit (seed credit_conversion_factors; none for non-performing exposures, whose lines are
--          frozen), in CNY at the month-end rate;
--   EL     PD (annual) × LGD × EAD / 12, rounded to the cent: the monthly expected loss (a month with data for only
--          part of its days, the month in progress, carries the share observed days / days in month).
with months as (
    {{ months_to_build(['month_end', 'days_in_month', 'observed_days', 'rate_on']) }}
),

loan_snapshots as (
    select l.*, months.month_start
    from {{ ref('stg_core__loans') }} as l
    inner join months on l.snapshot_on between months.month_start and months.month_end
),

last_loan_snapshot as (
    select *
    from loan_snapshots
    where snapshot_on = (select max(s.snapshot_on) from loan_snapshots as s
                         where s.month_start = loan_snapshots.month_start)
),

accounts as (
    select month_start, account_id, currency_code, credit_limit from {{ ref('int_account_attributes_monthly') }}
),

ccf as (
    select * from {{ ref('credit_conversion_factors') }}
),

classes as (
    select * from {{ ref('five_class_risk_parameters') }}
),

loans as (
    select
        l.month_start,
        l.loan_account_no as account_id,
        'loan' as exposure_source,
        l.five_class_code,
        l.days_past_due,
        l.collateral_type_code,
        greatest(l.probability_of_default, classes.pd_floor) as probability_of_default,
        greatest(l.loss_given_default, classes.lgd_floor) as loss_given_default,
        {{ to_cny('l.outstanding_principal', 'fx.cny_per_unit') }} as outstanding_cny,
        {{ to_cny('greatest(l.credit_limit - l.outstanding_principal, 0)', 'fx.cny_per_unit') }} as undrawn_cny,
        -- the undrawn line of a non-performing loan is frozen: no conversion factor
        case when classes.is_non_performing then 0 else coalesce(ccf.credit_conversion_factor, 0) end
            as credit_conversion_factor
    from last_loan_snapshot as l
    inner join months on months.month_start = l.month_start
    left join accounts on accounts.month_start = l.month_start and accounts.account_id = l.loan_account_no
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.currency_code = coalesce(accounts.currency_code, 'CNY') and fx.rate_on = months.rate_on
    left join classes on classes.five_class = l.five_class_code
    left join ccf on ccf.product_line = 'LOAN'
),

cards as (
    select
        s.month_start,
        s.card_no as account_id,
        'card' as exposure_source,
        dq.five_class as five_class_code,
        s.days_past_due,
        cast(null as varchar) as collateral_type_code,
        classes.card_pd as probability_of_default,
        classes.card_lgd as loss_given_default,
        greatest(s.closing_balance, 0) as outstanding_cny,
        greatest(coalesce(accounts.credit_limit, 0) - greatest(s.closing_balance, 0), 0) as undrawn_cny,
        case when classes.is_non_performing then 0 else coalesce(ccf.credit_conversion_factor, 0) end
            as credit_conversion_factor
    from {{ ref('stg_cards__card_statements') }} as s
    inner join months on months.month_start = s.month_start
    left join accounts on accounts.month_start = s.month_start and accounts.account_id = s.card_no
    left join {{ ref('card_delinquency_classes') }} as dq
        on s.days_past_due between dq.min_days_past_due and dq.max_days_past_due
    left join classes on classes.five_class = dq.five_class
    left join ccf on ccf.product_line = 'CARD'
),

unioned as (
    select * from loans
    union all
    select * from cards
),

with_ead as (
    select
        u.*,
        {{ round_money('cast(u.outstanding_cny as decimal(38, 2))'
                       ~ ' + cast(u.undrawn_cny as decimal(38, 2)) * u.credit_conversion_factor') }}
            as exposure_at_default_cny
    from unioned as u
),

final as (
    select
        e.month_start,
        e.account_id,
        e.exposure_source,
        e.five_class_code,
        classes.is_non_performing,
        e.days_past_due,
        e.collateral_type_code,
        cast(e.probability_of_default as decimal(9, 6)) as probability_of_default,
        cast(e.loss_given_default as decimal(9, 6)) as loss_given_default,
        cast(e.outstanding_cny as decimal(18, 2)) as outstanding_cny,
        cast(e.undrawn_cny as decimal(18, 2)) as undrawn_cny,
        cast(e.credit_conversion_factor as decimal(9, 6)) as credit_conversion_factor,
        e.exposure_at_default_cny,
        cast({{ divide_round(
            'cast(e.probability_of_default as decimal(38, 6)) * e.loss_given_default * e.exposure_at_default_cny'
            ~ ' * months.observed_days',
            '12 * months.days_in_month', 2) }} as decimal(18, 2)) as expected_loss,
        months._max_batch_id
    from with_ead as e
    inner join months on months.month_start = e.month_start
    left join classes on classes.five_class = e.five_class_code
)

select * from final
