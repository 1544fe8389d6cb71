{#-
  The tables `crmwh build` writes its churn scores and value forecasts into after dbt (models/scoring.py), created
  empty when missing at the start of every dbt run (on-run-start in dbt_project.yml) so that the marts views over
  them (marts/predictions/) always compile. Their one definition: the Python side only deletes and inserts rows.
-#}
{% macro create_scoring_tables() -%}
create schema if not exists scoring;
create table if not exists scoring.churn_scores (
    month_start date not null, party_id varchar not null, churn_probability decimal(9, 6) not null,
    risk_decile integer not null, reason_1 varchar, reason_2 varchar, reason_3 varchar, reasons varchar,
    model_version varchar not null, trained_at timestamp not null, primary key (month_start, party_id));
create table if not exists scoring.value_forecasts (
    month_start date not null, party_id varchar not null, monthly_economic_profit decimal(18, 2),
    horizon_months integer not null, expected_months decimal(9, 4), lifetime_value decimal(18, 2),
    naive_value decimal(18, 2), churn_probability decimal(9, 6), model_version varchar not null,
    trained_at timestamp not null, primary key (month_start, party_id));
create table if not exists scoring.feature_drift (
    month_start date not null, feature varchar not null, psi decimal(9, 4) not null, threshold decimal(9, 4) not null,
    is_drifted boolean not null, model_version varchar not null, primary key (month_start, feature));
{%- endmacro %}
