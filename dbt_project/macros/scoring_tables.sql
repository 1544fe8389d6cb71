{#-
  The tables `crmwh build` writes its churn scores and value forecasts into after dbt (models/scoring.py), created
  empty when missing at the start of every dbt run (on-run-start in dbt_project.yml) so that the marts views over
  them (marts/predictions/) always compile. Their one definition: the Python side only deletes and inserts rows.
-#}
{% macro create_scoring_tables() -%}
{{ create_tables_if_missing('scoring', [
    ('churn_scores', 'month_start date not null, party_id string not null, churn_probability decimal(9, 6) not null,
    risk_decile integer not null, reason_1 string, reason_2 string, reason_3 string, reasons string,
    model_version string not null, trained_at timestamp not null', 'month_start, party_id'),
    ('value_forecasts', 'month_start date not null, party_id string not null, monthly_economic_profit decimal(18, 2),
    horizon_months integer not null, expected_months decimal(9, 4), lifetime_value decimal(18, 2),
    naive_value decimal(18, 2), churn_probability decimal(9, 6), model_version string not null,
    trained_at timestamp not null', 'month_start, party_id'),
    ('feature_drift', 'month_start date not null, feature string not null, psi decimal(9, 4) not null,
    threshold decimal(9, 4) not null, is_drifted boolean not null, model_version string not null',
    'month_start, feature'),
]) }}
{%- endmacro %}

{#-
  create_tables_if_missing(schema, tables): the schema and each (name, columns, primary key) of `tables` created when
  missing, as the SQL of one hook. DuckDB takes them as one script with their primary keys. Spark runs one statement
  per call and has no constraints on plain parquet tables: each statement is run here, without the primary key (NOT
  NULL is accepted there but not enforced), and the hook itself is left empty.
-#}
{% macro create_tables_if_missing(schema, tables) -%}
    {{ return(adapter.dispatch('create_tables_if_missing', 'crmwh')(schema, tables)) }}
{%- endmacro %}

{% macro default__create_tables_if_missing(schema, tables) -%}
create schema if not exists {{ schema }};
{%- for name, columns, key in tables %}
create table if not exists {{ schema }}.{{ name }} ({{ columns }}, primary key ({{ key }}));
{%- endfor %}
{%- endmacro %}

{% macro spark__create_tables_if_missing(schema, tables) -%}
    {%- if execute -%}
        {%- do run_query('create schema if not exists ' ~ schema) -%}
        {%- for name, columns, key in tables -%}
            {%- do run_query('create table if not exists ' ~ schema ~ '.' ~ name ~ ' (' ~ columns ~ ') using parquet') -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
