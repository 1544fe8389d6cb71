{#-
  customer_version_keys(rows, customers, key_columns, date_column): for each row of `rows` (unique on `key_columns`,
  carrying party_id), the customer_key of the dim_customer version in force on its `date_column`: the latest version
  of its party that began on or before that date. A join on the party and an arg-max, which both DuckDB and Spark run
  (DuckDB's ASOF join is its own); a party has few versions, so the join stays small. `customers` is a relation or CTE
  with customer_key, party_id and valid_from.
-#}
{% macro customer_version_keys(rows, customers, key_columns, date_column) -%}
    select
        {%- for column in key_columns %}
        r.{{ column }},
        {%- endfor %}
        max_by(c.customer_key, c.valid_from) as customer_key
    from {{ rows }} as r
    inner join {{ customers }} as c on c.party_id = r.party_id and c.valid_from <= r.{{ date_column }}
    group by {% for column in key_columns %}r.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
{%- endmacro %}

{#-
  customer_versions_covering_every_day(): the versions of dim_customer as validity ranges for the transaction facts,
  the first version of each party widened back to the open start date, so a transaction dated before its customer's
  first version takes that version. Versions of a party are contiguous (valid_to is the next valid_from), so a range
  join on the party and the day finds exactly one: cheaper than an ASOF join on the facts' millions of rows, and
  portable to Spark. (customer_version_keys, for the monthly facts, finds none before the first version: the two rules
  differ on such days, which is why they are not one macro yet.)
-#}
{% macro customer_versions_covering_every_day() -%}
    select
        customer_key,
        party_id,
        case when valid_from = min(valid_from) over (partition by party_id) then {{ open_start_date() }}
            else valid_from
        end as valid_from,
        valid_to
    from {{ ref('dim_customer') }}
{%- endmacro %}
