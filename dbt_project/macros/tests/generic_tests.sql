{#- Small generic tests written for this project (dbt packages such as dbt_utils are not available offline). -#}

{#-
  Rows where the columns together are not unique. Repeats are first looked for on one hash of the combination (a
  single integer per row instead of the columns themselves: on the 14 M rows of the cost allocation at scale 1 about
  half the CPU of grouping by four columns); only the rows of a hash seen twice are then grouped by the columns, so a
  hash collision never reports a duplicate that is not one. NULLs repeat as GROUP BY counts them (hash(NULL) is fixed).
-#}
{% test unique_combination(model, columns) %}
{%- set combination = columns | join(', ') -%}
select {{ combination }}, count(*) as n_rows
from {{ model }}
where hash({{ combination }}) in (
    select hash({{ combination }}) from {{ model }} group by hash({{ combination }}) having count(*) > 1
)
group by {{ combination }}
having count(*) > 1
{% endtest %}

{#- Rows where the column lies outside [min_value, max_value] (either bound optional; NULLs pass). -#}
{% test value_between(model, column_name, min_value=none, max_value=none) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and (
    false
    {% if min_value is not none %} or {{ column_name }} < {{ min_value }} {% endif %}
    {% if max_value is not none %} or {{ column_name }} > {{ max_value }} {% endif %}
  )
{% endtest %}

{#- Rows for which a boolean SQL expression is not true. -#}
{% test expression_is_true(model, expression, where_clause=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% if where_clause %} and ({{ where_clause }}) {% endif %}
{% endtest %}

{#- The dimension holds its unknown member exactly once: key -1 with the label 未知 (macros/unknown_member.sql).
    Returns one row (the number of such members) when it does not. -#}
{% test unknown_member(model, column_name, label_column) %}
select count(*) as unknown_members
from {{ model }}
where cast({{ column_name }} as string) = {{ unknown_key() }} and {{ label_column }} = {{ unknown_label() }}
having count(*) <> 1
{% endtest %}

{#- The column holds a code of the contract's code list (as the bank profile extends it): the code_values seed,
    generated from contracts/ and contracts/bank.yaml, so a bank's own codes are accepted without editing dbt. -#}
{% test in_code_list(model, column_name, code_set) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
      and cast({{ column_name }} as string) not in (
          select code from {{ ref('code_values') }} where code_set = '{{ code_set }}'
      )
{% endtest %}

{#- The column holds the bank's reporting currency (bank profile, macro reporting_currency): e.g. the general ledger. -#}
{% test is_reporting_currency(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
      and {{ column_name }} not in ({{ reporting_currency() }})
{% endtest %}
