{#-
  The tables `crmwh build` writes the marketing models' results into after dbt (models/marketing_scoring.py): the
  next-best-product propensities with reasons, the behavioural segments, their profiles and their month-to-month
  stability. Created empty when missing at the start of every dbt run (on-run-start in dbt_project.yml) so that the
  marts views over them (marts/predictions/) always compile. Their one definition: the Python side only deletes and
  inserts rows.
-#}
{% macro create_marketing_scoring_tables() -%}
{{ create_tables_if_missing('scoring', [
    ('next_best_product_scores', 'month_start date not null, party_id string not null,
    product_family_code string not null, propensity decimal(9, 6) not null, is_held boolean not null,
    family_rank integer, reason_1 string, reason_2 string, reason_3 string, reasons string,
    model_version string not null, trained_at timestamp not null', 'month_start, party_id, product_family_code'),
    ('customer_segments', 'month_start date not null, party_id string not null, segment_no integer not null,
    segment_name string not null, model_version string not null, trained_at timestamp not null',
    'month_start, party_id'),
    ('segment_profiles', 'model_version string not null, segment_no integer not null, segment_name string not null,
    description string not null, training_customers integer not null, training_share decimal(9, 6) not null',
    'model_version, segment_no'),
    ('segment_stability', 'month_start date not null, previous_month_start date not null,
    customers_both integer not null, share_kept decimal(9, 6) not null, adjusted_rand_index decimal(9, 6) not null,
    model_version string not null', 'month_start'),
]) }}
{%- endmacro %}
