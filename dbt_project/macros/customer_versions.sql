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
