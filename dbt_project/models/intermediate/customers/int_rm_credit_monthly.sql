-- The credit (考核口径) of each RM for each party and month: the one model holding the shared-credit (分润) and
-- pro-rating rules.
--   day by day over the month's observed days, the party's survivor CIF is credited to
--     its shared-credit agreements in force that day (snapshots.snap_core__customer_rm_shares, shares adding to 1), or
--     else wholly (share 1) to the CIF's managing RM that day (snapshots.snap_core__customers);
--   credited_share_days = Σ over the days of the share credited to the RM (a day at share 0.3 counts 0.3);
--   credit_share        = credited_share_days / managed_days, the days the party had an RM at all: an RM change on
--                         the 17th of a 30-day month gives the old RM 16/30 and the new one 14/30; the shares of a
--                         party in a month add up to 1 (to the rounding of each to 6 decimals).
-- Money is split by credited_share_days, exactly to the cent, where it is credited (rpt_rm_performance).
with months as (
    {{ months_to_build(['as_of_on', 'observed_days']) }}
),

observed as (
    select month_start, _max_batch_id, as_of_on, as_of_on - observed_days + 1 as observed_from
    from months
),

days as (
    select
        observed.month_start,
        observed._max_batch_id,
        calendar.day_on
    from observed
    inner join {{ day_series('(select min(observed_from) from observed)', '(select max(as_of_on) from observed)',
                             'day_on') }} as calendar
        on calendar.day_on >= observed.observed_from and calendar.day_on <= observed.as_of_on
),

managed_days as (
    select days.month_start, days._max_batch_id, days.day_on, p.party_id, h.cif_no, h.rm_id
    from days
    inner join {{ ref('snap_core__customers') }} as h
        on days.day_on >= h.valid_from and days.day_on < h.valid_to
    inner join {{ ref('int_parties') }} as p on p.survivor_cif_no = h.cif_no
    where h.rm_id is not null
      and (h.closed_on is null or h.closed_on >= days.day_on)
),

shared_days as (
    select d.month_start, d.day_on, d.party_id, s.rm_id, s.rm_role_code, s.share_ratio
    from managed_days as d
    inner join {{ ref('snap_core__customer_rm_shares') }} as s
        on s.cif_no = d.cif_no and d.day_on >= s.valid_from and d.day_on < s.valid_to
),

credit_days as (
    select month_start, day_on, party_id, rm_id, rm_role_code, share_ratio from shared_days
    union all
    select d.month_start, d.day_on, d.party_id, d.rm_id, '1' as rm_role_code, cast(1 as decimal(9, 6)) as share_ratio
    from managed_days as d
    where not exists (
        select 1 from shared_days as s where s.party_id = d.party_id and s.day_on = d.day_on
    )
),

per_rm as (
    select
        c.month_start,
        c.party_id,
        c.rm_id,
        count(*) as credited_days,
        sum(c.share_ratio) as credited_share_days,
        bool_or(c.rm_role_code = '1') as is_lead_rm,
        bool_or(c.day_on = months.as_of_on) as is_rm_at_month_end
    from credit_days as c
    inner join months on months.month_start = c.month_start
    group by c.month_start, c.party_id, c.rm_id
),

per_party as (
    select month_start, party_id, count(*) as managed_days
    from managed_days
    group by month_start, party_id
),

final as (
    select
        r.month_start,
        r.party_id,
        r.rm_id,
        cast(r.credited_days as integer) as credited_days,
        cast(r.credited_share_days as decimal(18, 6)) as credited_share_days,
        cast(p.managed_days as integer) as managed_days,
        {{ ratio('r.credited_share_days', 'p.managed_days') }} as credit_share,
        cast(count(*) over (partition by r.month_start, r.party_id) as integer) as rms_credited,
        r.is_lead_rm,
        r.is_rm_at_month_end,
        months._max_batch_id
    from per_rm as r
    inner join per_party as p on p.month_start = r.month_start and p.party_id = r.party_id
    inner join months on months.month_start = r.month_start
)

select * from final
