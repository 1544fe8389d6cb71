-- Loyalty per party and month (the one model holding these rules): tenure, days since the last transaction and
-- whether the customer is active (a transaction within parameter active_customer_window_days of the month's last
-- observed day), and attrition: the month the customer left (went dormant or closed, int_party_attrition_events).
-- Read by the loyalty, lifetime value and RM reports.
with months as (
    {{ months_to_build(['as_of_on']) }}
),

engagement as (
    select
        e.month_start,
        e.party_id,
        max(e.last_transaction_on) over (
            partition by e.party_id order by e.month_start rows between unbounded preceding and current row
        ) as last_transaction_to_date
    from {{ ref('int_party_engagement_monthly') }} as e
),

parties as (
    select * from {{ ref('int_parties') }}
),

final as (
    select
        e.month_start,
        e.party_id,
        p.customer_type_code,
        pa.customer_status_code,
        p.first_opened_on,
        cast({{ month_diff('p.first_opened_on', 'months.as_of_on') }} as integer) as tenure_months,
        e.last_transaction_to_date as last_transaction_on,
        cast({{ days_between('e.last_transaction_to_date', 'months.as_of_on') }} as integer) as days_since_last_transaction,
        coalesce({{ days_between('e.last_transaction_to_date', 'months.as_of_on') }} <= {{ param('active_customer_window_days') }}, false)
            as is_active,
        coalesce(ev.attrited_on between e.month_start and months.as_of_on, false) as is_attrited_in_month,
        case when ev.attrited_on between e.month_start and months.as_of_on then ev.attrition_outcome end
            as attrition_outcome,
        months._max_batch_id
    from engagement as e
    inner join months on months.month_start = e.month_start
    inner join parties as p on p.party_id = e.party_id
    left join {{ ref('int_party_attributes_monthly') }} as pa
        on pa.month_start = e.month_start and pa.party_id = e.party_id
    left join {{ ref('int_party_attrition_events') }} as ev on ev.party_id = e.party_id
)

select * from final
