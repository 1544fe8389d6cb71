-- Credit exposure and contractual expected loss per account and month (docs/methodology.md, section 6):
--   loans  every daily snapshot of the month (a loan is in the snapshot each day it is outstanding): the
--          five-category class, PD and LGD from the core system raised to the floors of the class (seed
--          five_class_risk_parameters), in CNY at the month-end rate;
--   cards  the month's statement: class from days past due (seed card_delinquency_classes), PD and LGD of the class;
--          the drawn balance is the card's average daily balance (int_card_balances_monthly);
--   EAD    drawn balance + credit conversion factor × undrawn commitment (seed credit_conversion_factors, by product):
--          term loans have no undrawn commitment (repaid principal cannot be drawn again); revolving lines and cards
--          count credit line − drawn; non-performing exposures get no factor (their lines are frozen);
--   time   exposure_at_default_cny is the month's AVERAGE exposure over its observed days (a day a loan is not
--          outstanding counts 0: a loan repaid on the 26th of a 31-day month carries 25/31 of its exposure); the
--          closing_ columns are the exposure as it stood on its last day in the month;
--   EL     contractual expected loss Σ over the days (PD × LGD × EAD of the day) / annualisation_days (parameter,
--          365), rounded to the cent: each day carries its day of the annual loss, so a month carries PD (annual) ×
--          LGD × average EAD × its days / 365 (31/365 in March, 28/365 in February, never 1/12) and the month in
--          progress the days observed; performing_expected_loss counts the performing days only;
--   stage 3 provision (the finance view, int_credit_cost_account_monthly): LGD × drawn balance of a non-performing
--          exposure still open at the month end (closing_provision) and on the first observed day of the month
--          (first_day_provision, the opening figure of the warehouse's first month).
with months as (
    {{ months_to_build(['month_end', 'days_in_month', 'observed_days', 'rate_on', 'as_of_on']) }}
),

accounts as (
    select month_start, account_id, currency_code, product_code, credit_limit
    from {{ ref('int_account_attributes_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

facilities as (
    select * from {{ ref('credit_conversion_factors') }}
),

classes as (
    select * from {{ ref('five_class_risk_parameters') }}
),

loan_days as (
    select
        months.month_start,
        l.loan_account_no as account_id,
        l.snapshot_on,
        l.five_class_code,
        classes.is_non_performing,
        l.days_past_due,
        l.collateral_type_code,
        facilities.facility_type,
        greatest(l.probability_of_default, classes.pd_floor) as probability_of_default,
        greatest(l.loss_given_default, classes.lgd_floor) as loss_given_default,
        {{ to_cny('l.outstanding_principal', 'fx.cny_per_unit') }} as outstanding_cny,
        case when facilities.facility_type = 'REVOLVING'
            then {{ to_cny('greatest(l.credit_limit - l.outstanding_principal, 0)', 'fx.cny_per_unit') }}
            else 0
        end as undrawn_cny,
        -- the undrawn line of a non-performing loan is frozen: no conversion factor
        case when classes.is_non_performing then 0 else coalesce(facilities.credit_conversion_factor, 0) end
            as credit_conversion_factor,
        {{ to_cny('l.collateral_value', 'fx.cny_per_unit') }} as collateral_value_cny
    from {{ ref('stg_core__loans') }} as l
    inner join months on l.snapshot_on between months.month_start and months.month_end
    left join accounts on accounts.month_start = months.month_start and accounts.account_id = l.loan_account_no
    left join facilities on facilities.product_code = accounts.product_code
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.currency_code = coalesce(accounts.currency_code, {{ reporting_currency() }}) and fx.rate_on = months.rate_on
    left join classes on classes.five_class = l.five_class_code
),

loan_days_ead as (
    select
        d.*,
        {{ round_money('cast(d.outstanding_cny as ' ~ amount_type(27) ~ ')'
                       ~ ' + cast(d.undrawn_cny as ' ~ amount_type(27) ~ ') * cast(d.credit_conversion_factor as decimal(9, 6))') }}
            as exposure_at_default_cny
    from loan_days as d
),

loans as (
    select
        d.month_start,
        d.account_id,
        'loan' as exposure_source,
        cast(count(*) as integer) as days_outstanding,
        sum(d.exposure_at_default_cny) as exposure_days_cny,
        sum({{ product_of_rates('d.probability_of_default', 'd.loss_given_default') }} * d.exposure_at_default_cny)
            as loss_days_cny,
        coalesce(sum({{ product_of_rates('d.probability_of_default', 'd.loss_given_default') }} * d.exposure_at_default_cny)
                 filter (where not coalesce(d.is_non_performing, false)), 0)
            as performing_loss_days_cny,
        -- the exposure as it stood on its last day in the month
        max_by(d.facility_type, d.snapshot_on) as facility_type,
        max_by(d.five_class_code, d.snapshot_on) as five_class_code,
        max_by(d.days_past_due, d.snapshot_on) as days_past_due,
        max_by(d.collateral_type_code, d.snapshot_on) as collateral_type_code,
        max_by(d.probability_of_default, d.snapshot_on) as probability_of_default,
        max_by(d.loss_given_default, d.snapshot_on) as loss_given_default,
        max_by(d.outstanding_cny, d.snapshot_on) as outstanding_cny,
        max_by(d.undrawn_cny, d.snapshot_on) as undrawn_cny,
        max_by(d.credit_conversion_factor, d.snapshot_on) as credit_conversion_factor,
        max_by(d.exposure_at_default_cny, d.snapshot_on) as closing_exposure_at_default_cny,
        max_by(d.collateral_value_cny, d.snapshot_on) as collateral_value_cny,
        max(d.snapshot_on) as last_outstanding_on,
        -- stage-3 provision on the month's first observed day (the loan outstanding and non-performing that day)
        max(case when d.snapshot_on = months.as_of_on - months.observed_days + 1
                      and d.is_non_performing
                 then {{ round_money('cast(d.loss_given_default as decimal(9, 6)) * cast(d.outstanding_cny as ' ~ amount_type(20) ~ ')') }}
            end) as first_day_provision
    from loan_days_ead as d
    inner join months on months.month_start = d.month_start
    group by d.month_start, d.account_id
),

card_balances as (
    select month_start, account_id, average_daily_balance from {{ ref('int_card_balances_monthly') }}
    where {{ since_first_rebuilt_month('month_start', months='months') }}
),

cards as (
    select
        s.month_start,
        s.card_no as account_id,
        'card' as exposure_source,
        months.observed_days as days_outstanding,
        facilities.facility_type,
        dq.five_class as five_class_code,
        s.days_past_due,
        cast(null as string) as collateral_type_code,
        classes.card_pd as probability_of_default,
        classes.card_lgd as loss_given_default,
        classes.is_non_performing,
        -- the average drawn balance over the month (the statement's closing balance when no average exists)
        greatest(coalesce(b.average_daily_balance, s.closing_balance), 0) as drawn_cny,
        greatest(coalesce(accounts.credit_limit, 0) - greatest(coalesce(b.average_daily_balance, s.closing_balance),
                                                               0), 0) as undrawn_cny,
        greatest(s.closing_balance, 0) as outstanding_cny,
        greatest(coalesce(accounts.credit_limit, 0) - greatest(s.closing_balance, 0), 0) as closing_undrawn_cny,
        greatest(s.opening_balance, 0) as opening_cny,
        start_classes.is_non_performing as was_non_performing_at_start,
        case when classes.is_non_performing then 0 else coalesce(facilities.credit_conversion_factor, 0) end
            as credit_conversion_factor
    from {{ ref('stg_cards__card_statements') }} as s
    inner join months on months.month_start = s.month_start
    left join card_balances as b on b.month_start = s.month_start and b.account_id = s.card_no
    left join accounts on accounts.month_start = s.month_start and accounts.account_id = s.card_no
    left join facilities on facilities.product_code = accounts.product_code
    left join {{ ref('card_delinquency_classes') }} as dq
        on s.days_past_due between dq.min_days_past_due and dq.max_days_past_due
    left join classes on classes.five_class = dq.five_class
    -- the class the card was in when the month began (its days past due then)
    left join {{ ref('card_delinquency_classes') }} as start_dq
        on greatest(s.days_past_due - months.days_in_month, 0)
           between start_dq.min_days_past_due and start_dq.max_days_past_due
    left join classes as start_classes on start_classes.five_class = start_dq.five_class
),

cards_ead as (
    select
        c.*,
        {{ round_money('cast(c.drawn_cny as ' ~ amount_type(27) ~ ')'
                       ~ ' + cast(c.undrawn_cny as ' ~ amount_type(27) ~ ') * cast(c.credit_conversion_factor as decimal(9, 6))') }}
            as exposure_at_default_cny,
        {{ round_money('cast(c.outstanding_cny as ' ~ amount_type(27) ~ ')'
                       ~ ' + cast(c.closing_undrawn_cny as ' ~ amount_type(27) ~ ') * cast(c.credit_conversion_factor as decimal(9, 6))') }}
            as closing_exposure_at_default_cny
    from cards as c
),

unioned as (
    select
        month_start,
        account_id,
        exposure_source,
        facility_type,
        five_class_code,
        days_past_due,
        collateral_type_code,
        probability_of_default,
        loss_given_default,
        days_outstanding,
        outstanding_cny,
        undrawn_cny,
        credit_conversion_factor,
        closing_exposure_at_default_cny,
        collateral_value_cny,
        exposure_days_cny,
        loss_days_cny,
        performing_loss_days_cny,
        last_outstanding_on,
        first_day_provision
    from loans
    union all
    select
        c.month_start,
        c.account_id,
        c.exposure_source,
        c.facility_type,
        c.five_class_code,
        c.days_past_due,
        c.collateral_type_code,
        c.probability_of_default,
        c.loss_given_default,
        c.days_outstanding,
        c.outstanding_cny,
        c.closing_undrawn_cny as undrawn_cny,
        c.credit_conversion_factor,
        c.closing_exposure_at_default_cny,
        cast(null as decimal(18, 2)) as collateral_value_cny,
        -- a card is outstanding every observed day: its average exposure × those days
        c.exposure_at_default_cny * c.days_outstanding as exposure_days_cny,
        {{ product_of_rates('c.probability_of_default', 'c.loss_given_default') }} * c.exposure_at_default_cny * cast(c.days_outstanding as decimal(5, 0)) as loss_days_cny,
        case when coalesce(c.is_non_performing, false) then 0
            else {{ product_of_rates('c.probability_of_default', 'c.loss_given_default') }} * c.exposure_at_default_cny * cast(c.days_outstanding as decimal(5, 0))
        end as performing_loss_days_cny,
        months.as_of_on as last_outstanding_on,
        case when c.was_non_performing_at_start
            then {{ round_money('cast(c.loss_given_default as decimal(9, 6)) * cast(c.opening_cny as ' ~ amount_type(20) ~ ')') }}
        end as first_day_provision
    from cards_ead as c
    inner join months on months.month_start = c.month_start
),

final as (
    select
        u.month_start,
        u.account_id,
        u.exposure_source,
        u.facility_type,
        u.five_class_code,
        classes.is_non_performing,
        u.days_past_due,
        u.collateral_type_code,
        cast(u.probability_of_default as decimal(9, 6)) as probability_of_default,
        cast(u.loss_given_default as decimal(9, 6)) as loss_given_default,
        u.days_outstanding,
        u.last_outstanding_on = months.as_of_on as is_outstanding_at_month_end,
        cast(u.outstanding_cny as decimal(18, 2)) as outstanding_cny,
        cast(u.undrawn_cny as decimal(18, 2)) as undrawn_cny,
        cast(u.credit_conversion_factor as decimal(9, 6)) as credit_conversion_factor,
        cast(u.closing_exposure_at_default_cny as decimal(18, 2)) as closing_exposure_at_default_cny,
        cast({{ divide_round('u.exposure_days_cny', 'months.observed_days', 2) }} as decimal(18, 2))
            as exposure_at_default_cny,
        cast(u.collateral_value_cny as decimal(18, 2)) as collateral_value_cny,
        cast({{ divide_round('u.loss_days_cny', param('annualisation_days'), 2) }} as decimal(18, 2))
            as expected_loss,
        cast({{ divide_round('u.performing_loss_days_cny', param('annualisation_days'), 2) }} as decimal(18, 2))
            as performing_expected_loss,
        cast(coalesce(u.first_day_provision, 0) as decimal(18, 2)) as first_day_provision,
        cast(case when u.last_outstanding_on = months.as_of_on and coalesce(classes.is_non_performing, false)
            then {{ round_money('cast(u.loss_given_default as decimal(9, 6)) * cast(u.outstanding_cny as ' ~ amount_type(20) ~ ')') }}
            else 0
        end as decimal(18, 2)) as closing_provision,
        months._max_batch_id
    from unioned as u
    inner join months on months.month_start = u.month_start
    left join classes on classes.five_class = u.five_class_code
)

select * from final
