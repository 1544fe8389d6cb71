{#-
  Tables that read complete months only (the inputs of models/ and the customer lifetime value) are rebuilt in a daily
  build only when something they read may have changed since they were last built; otherwise the table is carried
  over as it is (a copy of itself, a fraction of the cost of recomputing every month of history). On a day inside a
  month nothing a complete month holds changes, so these tables, which grow with history, cost a daily build next to
  nothing; on the day a month completes, on a reload or late posting reaching a complete month, or when the state they
  read besides the months changes (`state`, below), they are recomputed whole, as in a full build.

  Recorded per model in audit.dbt_rebuild_inputs by a post-hook (same transaction as the table) each time the table is
  recomputed: the newest batch the watermarks knew (int_month_watermarks), the newest complete month and a hash of the
  state. A rebuild is needed when
    - the build is a full refresh, the engine is not DuckDB, or the table or its record is missing;
    - the newest complete month is another one (a month completed);
    - a complete month's watermark moved past the recorded batch (a delivery or reload dated in a complete month: the
      month-level models rebuilt that month);
    - a transaction loaded after the recorded batch is dated in a complete month (a late posting: the models whose
      months follow the posting date, int_account_activity_monthly and int_balance_continuity_daily, rebuilt it);
    - the hash of the model's state differs: `state` names a macro of this project returning a query of one number
      that changes when whatever else the model reads changes (today's account-to-party map, the parties' first
      opening, ...); none when the model reads months only.
  Every other input of such a model must be a month-level model read at complete months only. A model uses it as
    {{ config(materialized='table', post_hook="{{ record_rebuild_inputs('its_state_macro') }}") }}
    ...
    {% if rebuild_needed('its_state_macro') %} select * from final {% else %} {{ carried_over() }} {% endif %}
-#}

{% macro rebuild_inputs_table() -%}
    {{ return(api.Relation.create(database=target.database, schema='audit', identifier='dbt_rebuild_inputs')) }}
{%- endmacro %}

{#- The newest batch the watermarks know, the newest complete month (none before the first one completes). -#}
{% macro _rebuild_inputs_now(state) -%}
    select
        (select max(max_batch_id) from {{ ref('int_month_watermarks') }}) as max_batch_id,
        (select max(month_start) from {{ ref('int_month_watermarks') }} where is_complete) as complete_through,
        cast(({{ crmwh[state]() if state else 'select 0' }}) as hugeint) as state_hash
{%- endmacro %}

{#- True (recompute the table) or false (carry it over), decided when the model runs. -#}
{% macro rebuild_needed(state=none) -%}
    {#- a dbt unit test gives the model's inputs only, none of what the decision reads: it always recomputes -#}
    {%- if model.resource_type == 'unit_test' -%}
        {{- return(true) -}}
    {%- endif -%}
    {#- ref() before any other return, so that dbt records the dependencies when it parses the model -#}
    {%- set watermarks = ref('int_month_watermarks') -%}
    {%- set postings = [ref('stg_core__transactions'), ref('stg_cards__card_transactions')] -%}
    {%- set state_sql = crmwh[state]() if state else none -%}
    {%- if not execute or target.type != 'duckdb' or flags.FULL_REFRESH -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set record = rebuild_inputs_table() -%}
    {%- if load_relation(this) is none or adapter.get_relation(database=record.database, schema=record.schema,
                                                               identifier=record.identifier) is none -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set decision -%}
        with recorded as (
            select max_batch_id, complete_through, state_hash
            from {{ record }}
            where model = '{{ this.identifier }}'
        ),
        now as ({{ _rebuild_inputs_now(state) }})
        select
            not exists (select 1 from recorded)
            or (select complete_through from now) is null
            or (select complete_through from now) is distinct from (select complete_through from recorded)
            or (select state_hash from now) is distinct from (select state_hash from recorded)
            or exists (
                select 1 from {{ watermarks }}
                where is_complete and max_batch_id > (select max_batch_id from recorded)
            )
            {%- for transactions in postings %}
            or exists (
                select 1 from {{ transactions }}
                where _batch_id > (select max_batch_id from recorded)
                  and txn_on <= {{ month_end('(select complete_through from recorded)') }}
            )
            {%- endfor %}
            as rebuild
    {%- endset -%}
    {%- set rebuild = run_query(decision).columns[0].values()[0] -%}
    {%- do log(this.identifier ~ ": " ~ ("recomputed" if rebuild else "carried over (its complete months' inputs are unchanged)")) -%}
    {{- return(rebuild) -}}
{%- endmacro %}

{#- What a model renders when it is carried over: itself, marked so that its post-hook records nothing. -#}
{% macro carried_over() -%}
    select * from {{ this }} /* crmwh: carried over unchanged */
{%- endmacro %}

{#-
  The post-hook recording what the table was recomputed from (nothing when it was carried over: the record stays that
  of its last recomputation, which the next build compares with); empty on other engines.
-#}
{% macro record_rebuild_inputs(state=none) -%}
    {%- if target.type != 'duckdb' or 'crmwh: carried over unchanged' in (model.compiled_code or '') -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set record = rebuild_inputs_table() -%}
    {%- set sql -%}
        create schema if not exists {{ record.schema }};
        create table if not exists {{ record }} (
            model varchar primary key,
            max_batch_id bigint,
            complete_through date,
            state_hash hugeint
        );
        delete from {{ record }} where model = '{{ this.identifier }}';
        insert into {{ record }}
        select '{{ this.identifier }}', * from ({{ _rebuild_inputs_now(state) }})
    {%- endset -%}
    {{- return(sql) -}}
{%- endmacro %}

{#-
  For the daily data tests (macros/tests/daily_scope.sql): a filter on `tested` that keeps every row when this build
  recomputed it (its record is newer than `after`, the newest batch the previous build had seen) and none when it was
  carried over (tested when it was recomputed); none (test everything) for any other model.
-#}
{% macro rows_recomputed_by_this_build(tested, after) -%}
    {%- if 'record_rebuild_inputs' not in (tested.config.get('post-hook', []) | map(attribute='sql') | join(' ')) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set record = rebuild_inputs_table() -%}
    {%- if adapter.get_relation(database=record.database, schema=record.schema, identifier=record.identifier) is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return('coalesce((select max_batch_id from ' ~ record ~ " where model = '" ~ tested.name ~ "') > "
               ~ (after | int) ~ ', true)') -}}
{%- endmacro %}

{#- The state int_churn_features_monthly reads besides complete months of month-level models: today's party of each
    account with activity in a complete month (int_churn_activity_monthly sums under it), the first opening of each
    party of the population, the number of product lines. -#}
{% macro churn_features_rebuild_state() -%}
    select hash(
        (select sum(hash(a.account_id, a.party_id)) from {{ ref('int_accounts') }} as a
         where a.account_id in (
             select c.account_id from {{ ref('int_account_activity_monthly') }} as c
             where c.month_start in (select month_start from {{ ref('int_month_watermarks') }} where is_complete))),
        (select sum(hash(p.party_id, p.first_opened_on)) from {{ ref('int_parties') }} as p
         where p.party_id in (
             select pa.party_id from {{ ref('int_party_attributes_monthly') }} as pa
             where pa.customer_type_code = 'P'
               and pa.month_start in (select month_start from {{ ref('int_month_watermarks') }} where is_complete))),
        (select count(distinct product_line_code) from {{ ref('stg_ref__products') }})
    )
{%- endmacro %}
