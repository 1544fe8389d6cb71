{#-
  The tables `crmwh build` writes the marketing models' results into after dbt (models/marketing_scoring.py): the
  next-best-product propensities with reasons, the behavioural segments, their profiles and their month-to-month
  stability. Created empty when missing at the start of every dbt run (on-run-start in dbt_project.yml) so that the
  marts views over them (marts/predictions/) always compile. Their one definition: the Python side only deletes and
  inserts rows.
-#}
{% macro create_marketing_scoring_tables() -%}
create schema if not exists scoring;
create table if not exists scoring.next_best_product_scores (
    month_start date not null, party_id varchar not null, product_family_code varchar not null,
    propensity decimal(9, 6) not null, is_held boolean not null, family_rank integer, reason_1 varchar,
    reason_2 varchar, reason_3 varchar, reasons varchar, model_version varchar not null, trained_at timestamp not null,
    primary key (month_start, party_id, product_family_code));
create table if not exists scoring.customer_segments (
    month_start date not null, party_id varchar not null, segment_no integer not null, segment_name varchar not null,
    model_version varchar not null, trained_at timestamp not null, primary key (month_start, party_id));
create table if not exists scoring.segment_profiles (
    model_version varchar not null, segment_no integer not null, segment_name varchar not null,
    description varchar not null, training_customers integer not null, training_share decimal(9, 6) not null,
    primary key (model_version, segment_no));
create table if not exists scoring.segment_stability (
    month_start date not null, previous_month_start date not null, customers_both integer not null,
    share_kept decimal(9, 6) not null, adjusted_rand_index decimal(9, 6) not null, model_version varchar not null,
    primary key (month_start));
{%- endmacro %}
