-- Loyalty per party and month: tenure, products and categories held (cross-sell), transaction activity and channels,
-- days since the last transaction, whether the customer is active and whether it left in the month (the rules:
-- int_customer_loyalty_monthly; holdings and activity: int_party_engagement_monthly).
with months as (
    {{ months_to_build() }}
),

loyalty as (
    select * from {{ ref('int_customer_loyalty_monthly') }}
),

engagement as (
    select * from {{ ref('int_party_engagement_monthly') }}
),

final as (
    select
        l.month_start,
        l.party_id,
        l.customer_type_code,
        l.customer_status_code,
        l.first_opened_on,
        l.tenure_months,
        e.accounts_open,
        e.products_held,
        e.categories_held,
        e.product_lines_held,
        cast(e.categories_held as decimal(18, 6)) as cross_sell_ratio,
        e.accounts_opened,
        e.transactions,
        e.digital_transactions,
        e.counter_transactions,
        e.channels_used,
        case when e.transactions > 0 then {{ ratio('e.digital_transactions', 'e.transactions') }} end
            as digital_share,
        l.last_transaction_on,
        l.days_since_last_transaction,
        l.is_active,
        l.is_attrited_in_month,
        l.attrition_outcome,
        {{ month_status('l.month_start') }},
        months._max_batch_id
    from loyalty as l
    inner join months on months.month_start = l.month_start
    inner join engagement as e on e.month_start = l.month_start and e.party_id = l.party_id
)

select * from final
