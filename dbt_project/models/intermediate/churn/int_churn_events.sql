{{ config(materialized='table') }}
-- The churn definition (客户流失), the one place holding it: a personal customer attrites in the first complete month
-- in which any of three rules fires (parameters churn_* in seed parameters):
--   closed   every account the party ever held is closed (the month of the last closure);
--   aum      the month's AUM falls below churn_aum_share of its average over the churn_aum_trailing_months before
--            (at least churn_aum_min_history_months observed, an average of at least churn_aum_min_base_cny) and
--            stays below that line churn_aum_stay_months running;
--   dormant  churn_dormancy_months complete months running without a customer-initiated transaction
--            (seed churn_customer_activities) after a month with one: the event month is the last silent month.
-- One row per party that attrited, with the month and the rule that fired first (closed before aum before dormant in
-- a tie). An event needs the months after it to be confirmed (aum: the stay months), so the last months of the
-- horizon undercount; int_churn_labels_monthly marks the labels it can know.
with months as (
    select month_start, row_number() over (order by month_start) as month_no
    from {{ ref('int_month_watermarks') }}
    where is_complete
),

personal as (
    select party_id, min(month_start) as first_month
    from {{ ref('int_party_attributes_monthly') }}
    where customer_type_code = 'P'
    group by party_id
),

spine as (
    select p.party_id, m.month_start, m.month_no
    from personal as p
    inner join months as m on m.month_start >= p.first_month
),

panel as (
    select
        s.party_id,
        s.month_start,
        s.month_no,
        coalesce(aum.aum_cny, 0) as aum_cny,
        coalesce(act.customer_transactions, 0) as customer_transactions
    from spine as s
    left join {{ ref('int_customer_aum_monthly') }} as aum
        on aum.party_id = s.party_id and aum.month_start = s.month_start
    left join {{ ref('int_churn_activity_monthly') }} as act
        on act.party_id = s.party_id and act.month_start = s.month_start
),

aum_base as (
    select
        *,
        avg(aum_cny) over w_trailing as trailing_aum_cny,
        count(*) over w_trailing as trailing_months
    from panel
    window w_trailing as (
        partition by party_id order by month_no
        rows between {{ param_int('churn_aum_trailing_months') }} preceding and 1 preceding
    )
),

aum_below as (
    select
        *,
        trailing_months >= {{ param('churn_aum_min_history_months') }}
            and trailing_aum_cny >= {{ param('churn_aum_min_base_cny') }}
            and aum_cny < {{ param('churn_aum_share') }} * trailing_aum_cny as is_drop
    from aum_base
),

aum_events as (
    -- a drop month whose line (share x its own trailing average) holds for the stay months that follow it
    select d.party_id, min(d.month_start) as month_start
    from aum_below as d
    inner join panel as later
        on later.party_id = d.party_id
       and later.month_no between d.month_no and d.month_no + {{ param_int('churn_aum_stay_months') }} - 1
    where d.is_drop
    group by d.party_id, d.month_no, d.month_start, d.trailing_aum_cny
    having count(*) = {{ param_int('churn_aum_stay_months') }}
       and bool_and(later.aum_cny < {{ param('churn_aum_share') }} * d.trailing_aum_cny)
),

silence as (
    select
        *,
        sum(case when customer_transactions = 0 then 1 else 0 end) over (
            partition by party_id order by month_no
            rows between {{ (param_int('churn_dormancy_months') | trim | int) - 1 }} preceding and current row
        ) as silent_months,
        max(case when customer_transactions > 0 then month_no end) over (
            partition by party_id order by month_no rows between unbounded preceding and current row
        ) as last_active_month_no
    from panel
),

dormant_events as (
    select party_id, month_start
    from silence
    where silent_months = {{ param_int('churn_dormancy_months') }}
      and last_active_month_no = month_no - {{ param_int('churn_dormancy_months') }}
),

closed_events as (
    select a.party_id, {{ month_start('max(a.closed_on)') }} as month_start
    from {{ ref('int_accounts') }} as a
    inner join personal as p on p.party_id = a.party_id
    group by a.party_id
    having bool_and(a.closed_on is not null)
),

events as (
    select party_id, month_start, 'closed' as churn_rule, 1 as rule_order from closed_events
    union all
    select party_id, month_start, 'aum', 2 from aum_events
    union all
    select party_id, month_start, 'dormant', 3 from dormant_events
),

final as (
    select
        e.party_id,
        min(e.month_start) as churn_month,
        -- the earliest month, then the first rule of that month
        min_by(e.churn_rule, (year(e.month_start) * 100 + month(e.month_start)) * 10 + e.rule_order) as churn_rule
    from events as e
    inner join months as m on m.month_start = e.month_start
    group by e.party_id
)

select * from final
