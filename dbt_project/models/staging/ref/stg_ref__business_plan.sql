-- 经营计划: the target in force per outlet, month and measure. The plan is a full snapshot every day; the latest
-- delivery of a key wins, so a revised plan (a later version) supersedes the earlier one from its first delivery on,
-- and the months it leaves out keep the target last delivered.
with source as (
    {{ latest_delivered_rows(ref('base_ref__business_plan'), ['branch_code', 'plan_month', 'plan_measure_code']) }}
),

renamed as (
    select
        branch_code,
        {{ month_start('plan_month') }} as plan_month,
        plan_measure_code,
        {{ decode('plan_measure_code', 'ref.business_plan.measure_code', 'zh') }} as plan_measure_name,
        target_amount_cny,
        plan_version,
        approved_on,
        _business_date as _delivered_on,
        _batch_id
    from source
),

final as (
    select * from renamed
)

select * from final
