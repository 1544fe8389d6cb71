{#-
  Incremental processing keyed on deliveries, never on the wall clock.

  Row-level models (staging copies of the big extracts, fct_transactions, fct_card_transactions) take the rows of
  batches newer than the newest batch they already hold, and the custom strategy `replace_loaded` replaces them:
  it deletes every row whose key comes again and every row of a batch that no longer counts (SUPERSEDED by a reload
  or REJECTED), then inserts. A reload of a past date therefore replaces that date exactly; a delivery of a key
  seen before (a changed record) replaces the older version.

  Month-level models store `_max_batch_id`: the newest LOADED batch whose business date lies on or before the month
  end (int_month_watermarks). A month is rebuilt when that number grows (a new delivery inside the month, or a reload
  of an earlier date, which can move balances carried into the month); the custom strategy `replace_months` deletes
  exactly the months rebuilt and inserts them again. A daily delivery therefore rebuilds only the current month.
-#}

{#- Rows newer than the newest batch the model holds (on a full build: every row). -#}
{% macro new_batches_only(batch_column='_batch_id') -%}
    {%- if is_incremental() -%}
        {{ batch_column }} > (select coalesce(max(_batch_id), -1) from {{ this }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The months a month-level model must (re)build in this run (on a full build: every month). -#}
{% macro months_to_rebuild_query(relation) -%}
    select w.month_start
    from {{ ref('int_month_watermarks') }} as w
    left join (
        select month_start, max(_max_batch_id) as built_batch_id
        from {{ relation }}
        group by month_start
    ) as b on b.month_start = w.month_start
    where b.built_batch_id is null or w.max_batch_id > b.built_batch_id
{%- endmacro %}

{% macro months_to_rebuild(month_column='month_start') -%}
    {%- if is_incremental() -%}
        {{ month_column }} in ({{ months_to_rebuild_query(this) }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
  A filter for a scan of dated history, to apply before any other work: `column` (a date or a month start) lies on or
  after the first month this run rebuilds. Rows before it cannot reach a rebuilt month, so no result changes, but DuckDB
  drops them in the scan instead of carrying the whole history into joins and sums, and a daily build stays flat as
  history grows. `months` names the model's CTE of months to build; without it the months are looked up as
  months_to_rebuild() does. `window_months` (an SQL integer) widens it to a trailing window ending with that month.
  On a full build: true.
-#}
{% macro since_first_rebuilt_month(column, months=none, window_months=none) -%}
    {%- if is_incremental() -%}
        {%- set first = 'select min(month_start) from '
                        ~ (months if months else '(' ~ months_to_rebuild_query(this) ~ ')') -%}
        {%- if window_months is none -%}
            {{ column }} >= ({{ first }})
        {%- else -%}
            {{ column }} > cast(({{ first }}) - to_months({{ window_months }}) as date)
        {%- endif -%}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
  The `months` CTE of a month-level model: the months this run (re)builds (on a full build: every month) with
  month_start and _max_batch_id, the watermark the rebuilt rows store. Each of `columns` adds, in the order given, a
  column of int_month_watermarks (month_end, days_in_month, observed_days, is_complete, ...) or one of
    as_of_on  the month's last observed day: the month end, or the latest business date of a month in progress;
    rate_on   the day of the month-end FX rate: the month end, or the latest rate day while the month is in progress.
  `postings_from` (source system -> its raw transactions, as first_posting_month_delivered_since takes them): the
  model's months follow the transaction date, so it also rebuilds every month a transaction delivered since it last
  ran reaches.
-#}
{#-
  Transactions are dated by their own business date (txn_date), which can lie in an earlier month than the delivery
  that carries them: a late posting, or a reload of a past date that drops or re-dates one. Such a month's watermark
  does not move, so a model whose months follow the transaction date also rebuilds every month from the month of the
  earliest transaction date found in the raw rows of the business dates delivered since it last ran (`relation`'s
  newest _max_batch_id; the rows a reload superseded included, which the base models filter out by design, so a
  dropped transaction is uncounted too). `raw_transactions`: source system -> the raw transaction table the model
  reads, passed as `source(...)` by the model (the one exception to "only base models read a source":
  tests/unit/test_dbt_project.py, RAW_LOOKUPS). The model declares `-- depends_on:` stg_audit__deliveries (dbt sees
  refs only as a full build renders them). NULL when nothing was delivered since.
-#}
{% macro first_posting_month_delivered_since(relation, raw_transactions) -%}
    {{ 'least(' if raw_transactions | length > 1 else '(' }}
        {%- for system, raw in raw_transactions | dictsort %}
        (select {{ month_start('min(r.txn_date)') }} from {{ raw }} as r
         where r._business_date in (
             select d.business_date from {{ ref('stg_audit__deliveries') }} as d
             where d.source_system = '{{ system }}'
               and d.batch_id > (select coalesce(max(_max_batch_id), -1) from {{ relation }})
         )){{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro months_to_build(columns=[], postings_from={}) -%}
    select
        w.month_start,
        w.max_batch_id as _max_batch_id
        {%- for column in columns %},
        {% if column == 'as_of_on' -%}
            least(w.month_end, (select max(business_date) from {{ ref('stg_audit__deliveries') }})) as as_of_on
        {%- elif column == 'rate_on' -%}
            least(w.month_end, (select max(rate_on) from {{ ref('int_fx_rates_daily') }})) as rate_on
        {%- else -%}
            w.{{ column }}
        {%- endif -%}
        {%- endfor %}
    from {{ ref('int_month_watermarks') }} as w
    where {{ months_to_rebuild('w.month_start') }}
    {%- if postings_from and is_incremental() %}
       or w.month_start >= {{ first_posting_month_delivered_since(this, postings_from) }}
    {%- endif %}
{%- endmacro %}

{% macro get_incremental_replace_loaded_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set system = config.require('source_system') -%}
    {%- set cols = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where ({{ keys | join(', ') }}) in (select ({{ keys | join(', ') }}) from {{ temp }})
       or {{ is_unloaded_batch('_batch_id', system) }};
    insert into {{ target }} ({{ cols }})
    select {{ cols }} from {{ temp }};
{% endmacro %}

{% macro get_incremental_replace_months_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set cols = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where month_start in ({{ months_to_rebuild_query(target) }})
       or month_start in (select month_start from {{ temp }});
    insert into {{ target }} ({{ cols }})
    select {{ cols }} from {{ temp }};
{% endmacro %}
