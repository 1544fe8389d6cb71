-- depends_on: {{ ref('int_month_watermarks') }}
-- Credit cost per credit exposure and month, the finance view (docs/methodology.md, section 6): expected loss while
-- the exposure performs, the stage-3 provision and its movements once it has defaulted (次级, 可疑, 损失):
--   opening_provision   the stage-3 provision at the previous month end (int_risk_account_monthly.closing_provision);
--                       in the warehouse's first month, which has no previous month end, the provision the exposure
--                       already carried on the first day observed (first_day_provision);
--   closing_provision   at this month end: LGD × drawn balance of a non-performing exposure still open, else 0;
--   written_off_cny     principal written off (核销) in the month: the core's WOF transactions on the loan, at the
--                       month-end rate (the use of the provision);
--   provision_charge    closing − opening + written off: the lifetime loss charged once at default, then its
--                       movements; a cure or a recovery releases the provision (negative), a write-off beyond the
--                       provision is charged;
--   credit_cost         performing_expected_loss (the days the exposure performed) + provision_charge. Net
--                       contribution deducts this; expected_loss (int_risk_account_monthly) stays the contractual view.
-- An exposure that left the books at the start of the month (its last snapshot the previous month end) still gets
-- the row that releases or uses its provision.
with months as (
    {{ months_to_build(['rate_on']) }}
),

risk as (
    select * from {{ ref('int_risk_account_monthly') }}
    where {{ since_first_rebuilt_month('month_start', 'months', '2') }}
),

first_month as (
    select min(month_start) as month_start from {{ ref('int_month_watermarks') }}
),

this_month as (
    select risk.*
    from risk
    inner join months on months.month_start = risk.month_start
),

previous_month as (
    select
        months.month_start,
        risk.account_id,
        risk.closing_provision
    from risk
    inner join months on risk.month_start = cast(months.month_start - interval 1 month as date)
    where risk.closing_provision <> 0
),

write_offs as (
    select
        months.month_start,
        t.account_no as account_id,
        sum({{ to_cny('case when t.is_reversal then -t.amount else t.amount end', 'fx.cny_per_unit') }})
            as written_off_cny
    from {{ ref('stg_core__transactions') }} as t
    inner join months on months.month_start = {{ month_start('t._delivered_on') }}
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.currency_code = t.currency_code and fx.rate_on = months.rate_on
    where t.txn_type_code = 'WOF'
      and {{ since_first_rebuilt_month('t._delivered_on', 'months') }}
    group by months.month_start, t.account_no
),

exposures as (
    select month_start, account_id from this_month
    union
    select month_start, account_id from previous_month
    union
    select month_start, account_id from write_offs
),

steps as (
    select
        e.month_start,
        e.account_id,
        coalesce(cur.exposure_source, 'loan') as exposure_source,
        coalesce(cur.performing_expected_loss, 0) as performing_expected_loss,
        case when e.month_start = (select month_start from first_month)
            then coalesce(cur.first_day_provision, 0)
            else coalesce(prev.closing_provision, 0)
        end as opening_provision,
        coalesce(cur.closing_provision, 0) as closing_provision,
        coalesce(wo.written_off_cny, 0) as written_off_cny
    from exposures as e
    left join this_month as cur on cur.month_start = e.month_start and cur.account_id = e.account_id
    left join previous_month as prev on prev.month_start = e.month_start and prev.account_id = e.account_id
    left join write_offs as wo on wo.month_start = e.month_start and wo.account_id = e.account_id
),

final as (
    select
        s.month_start,
        s.account_id,
        s.exposure_source,
        cast(s.performing_expected_loss as decimal(18, 2)) as performing_expected_loss,
        cast(s.opening_provision as decimal(18, 2)) as opening_provision,
        cast(s.written_off_cny as decimal(18, 2)) as written_off_cny,
        cast(s.closing_provision as decimal(18, 2)) as closing_provision,
        cast(s.closing_provision - s.opening_provision + s.written_off_cny as decimal(18, 2)) as provision_charge,
        cast(s.performing_expected_loss + s.closing_provision - s.opening_provision + s.written_off_cny
             as decimal(18, 2)) as credit_cost,
        months._max_batch_id
    from steps as s
    inner join months on months.month_start = s.month_start
)

select * from final
