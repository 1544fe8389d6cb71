-- The sum of net contribution (and of economic profit) is the same whether rolled up by customer, product, branch or
-- RM (accounts without an RM form their own group): no row is lost or counted twice by any of the keys.
{% set measures = ['net_contribution', 'economic_profit'] %}
with facts as (
    select * from {{ ref('fct_contribution_monthly') }}
    where {{ months_rebuilt_by_this_build('month_start') }}
),

{% for key in ['party_id', 'product_code', 'branch_code', 'rm_id'] %}
by_{{ key }} as (
    select month_start{% for m in measures %}, sum({{ m }}) as {{ m }}{% endfor %}
    from (
        select month_start, {{ key }}{% for m in measures %}, sum({{ m }}) as {{ m }}{% endfor %}
        from facts
        group by month_start, {{ key }}
    ) as grouped
    group by month_start
),
{% endfor %}

total as (
    select month_start{% for m in measures %}, sum({{ m }}) as {{ m }}{% endfor %}
    from facts
    group by month_start
)

{% for key in ['party_id', 'product_code', 'branch_code', 'rm_id'] %}
select '{{ key }}' as rolled_up_by, t.month_start, t.net_contribution as total, k.net_contribution as rolled_up
from total as t
left join by_{{ key }} as k on k.month_start = t.month_start
where k.month_start is null
{% for m in measures %}   or t.{{ m }} <> k.{{ m }}
{% endfor %}
{% if not loop.last %}union all{% endif %}
{% endfor %}
