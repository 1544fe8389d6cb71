-- depends_on: {{ ref('int_month_watermarks') }}
-- Credit and risk view per party and month: the party's credit risk (int_customer_risk_monthly: worst five-category
-- class, days past due, outstanding and EAD, expected loss and capital, exposure-weighted PD, non-performing) with its
-- customer type and internal rating.
with risk as (
    select *
    from {{ ref('int_customer_risk_monthly') }}
    where {{ months_to_rebuild() }}
),

final as (
    select
        r.month_start,
        r.party_id,
        pa.customer_type_code,
        pa.risk_rating_code,
        r.credit_exposures,
        r.loans,
        r.credit_cards,
        r.worst_five_class_code,
        r.is_non_performing,
        r.max_days_past_due,
        r.outstanding_cny,
        r.exposure_at_default_cny,
        r.expected_loss,
        r.economic_capital,
        r.exposure_weighted_pd,
        {{ month_status('r.month_start') }},
        r._max_batch_id
    from risk as r
    left join {{ ref('int_party_attributes_monthly') }} as pa
        on pa.month_start = r.month_start and pa.party_id = r.party_id
)

select * from final
