-- The classification migration adds up, month by month, to the loans classified at both month ends (the loans still
-- outstanding on the month's last observed day, with their EAD then): its to-side
-- (all but CLOSED) to the loans and EAD of this month end, its from-side (all but NEW) to those of the previous
-- month end; and every month with loans and a previous month in the warehouse has its migration.
with loans as (
    select
        month_start,
        count(*) as loans,
        sum(closing_exposure_at_default_cny) as exposure_at_default_cny
    from {{ ref('int_risk_account_monthly') }}
    where exposure_source = 'loan' and is_outstanding_at_month_end
    group by month_start
),

watermark_months as (
    select month_start from {{ ref('int_month_watermarks') }}
),

expected as (
    select
        w.month_start,
        coalesce(cur.loans, 0) as to_loans,
        coalesce(cur.exposure_at_default_cny, 0) as to_ead,
        coalesce(prev.loans, 0) as from_loans,
        coalesce(prev.exposure_at_default_cny, 0) as from_ead
    from watermark_months as w
    inner join watermark_months as before on before.month_start = cast(w.month_start - interval 1 month as date)
    left join loans as cur on cur.month_start = w.month_start
    left join loans as prev on prev.month_start = before.month_start
    where (cur.loans is not null or prev.loans is not null)
      and {{ months_rebuilt_by_this_build('w.month_start') }}
),

migration as (
    select
        month_start,
        coalesce(sum(loans) filter (where to_classification <> 'CLOSED'), 0) as to_loans,
        coalesce(sum(exposure_at_default_cny) filter (where to_classification <> 'CLOSED'), 0) as to_ead,
        coalesce(sum(loans) filter (where from_classification <> 'NEW'), 0) as from_loans,
        coalesce(sum(previous_exposure_at_default_cny) filter (where from_classification <> 'NEW'), 0) as from_ead,
        -- the amounts of the sides that do not exist are zero
        coalesce(sum(exposure_at_default_cny) filter (where to_classification = 'CLOSED'), 0) as closed_ead,
        coalesce(sum(previous_exposure_at_default_cny) filter (where from_classification = 'NEW'), 0) as new_ead
    from {{ ref('rpt_credit_classification_migration') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
    group by month_start
)

select
    coalesce(e.month_start, m.month_start) as month_start,
    e.to_loans as expected_to_loans,
    m.to_loans,
    e.to_ead as expected_to_ead,
    m.to_ead,
    e.from_loans as expected_from_loans,
    m.from_loans,
    e.from_ead as expected_from_ead,
    m.from_ead
from expected as e
full outer join migration as m on m.month_start = e.month_start
where e.month_start is null
   or m.month_start is null
   or m.to_loans <> e.to_loans
   or m.to_ead <> e.to_ead
   or m.from_loans <> e.from_loans
   or m.from_ead <> e.from_ead
   or m.closed_ead <> 0
   or m.new_ead <> 0
