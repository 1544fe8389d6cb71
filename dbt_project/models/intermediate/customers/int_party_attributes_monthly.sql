-- Each party's attributes as they stood on the last observed day of each month (month end, or the latest business
-- date of a month in progress): RM, home branch, risk rating, enterprise size class, status, household and group from
-- the survivor CIF's SCD2 history.
-- Parties known only to the card system have no RM and keep the branch of their first card.
with months as (
    {{ months_to_build(['as_of_on']) }}
),

parties as (
    select * from {{ ref('int_parties') }}
),

history as (
    select * from {{ ref('snap_core__customers') }}
),

final as (
    select
        months.month_start,
        parties.party_id,
        months.as_of_on,
        parties.customer_type_code,
        h.customer_version_key,
        h.rm_id,
        coalesce(h.home_branch_code, parties.home_branch_code) as home_branch_code,
        h.risk_rating_code,
        h.enterprise_scale_code,
        coalesce(h.customer_status_code, parties.customer_status_code) as customer_status_code,
        h.household_code,
        h.group_code,
        months._max_batch_id
    from months
    cross join parties
    left join history as h
        on h.cif_no = parties.survivor_cif_no
       and months.as_of_on >= h.valid_from and months.as_of_on < h.valid_to
    where parties.first_opened_on <= months.as_of_on
      and (parties.closed_on is null or parties.closed_on >= months.month_start)
      and (parties.survivor_cif_no is null or h.cif_no is not null)
)

select * from final
