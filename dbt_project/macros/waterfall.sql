{#- The contribution waterfall's steps, from net interest contribution to economic profit, summed over a set of
    fct_contribution_monthly rows (alias ``f``): the one list every roll-up of the fact (branch, product) uses, so a step
    added to the fact is added to each in the same order. -#}
{% macro waterfall_step_sums(alias='f') -%}
    {%- set steps = [
        'net_interest_contribution', 'fee_income', 'output_vat', 'vat_surcharges', 'cm1_after_ftp',
        'direct_operating_cost', 'cm2_after_direct_cost', 'indirect_operating_cost', 'cm3_after_indirect_cost',
        'head_office_overhead', 'cm4_after_overhead', 'allocated_operating_cost', 'expected_loss', 'credit_cost',
        'net_contribution', 'income_tax', 'net_contribution_after_tax', 'economic_capital', 'capital_charge',
        'economic_profit',
    ] -%}
    {%- for step in steps %}
    sum({{ alias }}.{{ step }}) as {{ step }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- RAROC before and after tax, annualised by the days the month covers (never × 12), over a roll-up ``t`` of the
    waterfall joined to its month ``months``: the one definition the branch and product reports use. -#}
{% macro raroc_annualised_columns(t='t', months='months') -%}
        case when {{ t }}.economic_capital <> 0
            then {{ ratio(t ~ '.net_contribution * ' ~ param('annualisation_days'),
                          t ~ '.economic_capital * ' ~ months ~ '.observed_days') }}
        end as raroc_annualised,
        case when {{ t }}.economic_capital <> 0
            then {{ ratio(t ~ '.net_contribution_after_tax * ' ~ param('annualisation_days'),
                          t ~ '.economic_capital * ' ~ months ~ '.observed_days') }}
        end as raroc_after_tax_annualised
{%- endmacro %}
