{#-
  Masking rules for PII shown outside restricted_pii (one place for each rule). Masked values keep what an analyst
  needs to recognise a record (surname, region digits of an ID, phone prefix) and nothing that identifies a person.
-#}

{#- Personal names keep the surname (first character); corporate names keep the first four and last two characters. -#}
{% macro mask_name(name, customer_type_code) -%}
    case
        when {{ name }} is null then null
        when {{ customer_type_code }} = 'C' and length({{ name }}) > 6
            then left({{ name }}, 4) || '****' || right({{ name }}, 2)
        else left({{ name }}, 1) || repeat('*', greatest(length({{ name }}) - 1, 1))
    end
{%- endmacro %}

{#- ID numbers keep the first and last four characters (two of each when shorter than 12). -#}
{% macro mask_id_number(id_number) -%}
    case
        when {{ id_number }} is null then null
        when length({{ id_number }}) >= 12
            then left({{ id_number }}, 4) || repeat('*', length({{ id_number }}) - 8) || right({{ id_number }}, 4)
        else left({{ id_number }}, 2) || repeat('*', greatest(length({{ id_number }}) - 4, 1)) || right({{ id_number }}, 2)
    end
{%- endmacro %}

{#- Phones keep the first three and last four digits: 138****0000. -#}
{% macro mask_phone(phone) -%}
    case
        when {{ phone }} is null then null
        when length({{ phone }}) >= 8 then left({{ phone }}, 3) || '****' || right({{ phone }}, 4)
        else repeat('*', length({{ phone }}))
    end
{%- endmacro %}

{#- Addresses keep the first six characters (province and city) only. -#}
{% macro mask_address(address) -%}
    case when {{ address }} is null then null else left({{ address }}, 6) || '****' end
{%- endmacro %}

{#- The identity a party is keyed on: ID type and ID number, trimmed, upper case (a trailing x of a resident ID). -#}
{% macro identity_key(id_type, id_number) -%}
    (trim({{ id_type }}) || ':' || upper(trim({{ id_number }})))
{%- endmacro %}

{#-
  Party id of an identity: a salted hash, so that the id is stable whatever order the systems deliver in and cannot be
  turned back into the ID number without the salt (var party_id_salt).
-#}
{% macro party_id(identity_key_expression) -%}
    ('PTY' || upper(left(md5('{{ var("party_id_salt") }}' || '|' || {{ identity_key_expression }}), 16)))
{%- endmacro %}
