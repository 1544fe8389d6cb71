{#- The bank's reporting currency (bank profile `reporting_currency`), as a SQL string literal. `crmwh build` passes
    the profile in force (contracts/bank.yaml, or the file CRMWH_BANK_PROFILE names) as CRMWH_REPORTING_CURRENCY; a
    dbt run without it (the unit tests, a hand-run dbt) takes the var reporting_currency: the default bank's. -#}
{% macro reporting_currency() -%}
    '{{ env_var('CRMWH_REPORTING_CURRENCY', var('reporting_currency')) }}'
{%- endmacro %}
