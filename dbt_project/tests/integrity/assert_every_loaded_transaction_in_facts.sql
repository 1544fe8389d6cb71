-- Every transaction of a LOADED delivery is in the transaction facts exactly once, and nothing else is.
with raw_core as (
    select count(distinct txn_id) as n
    from {{ source('core', 'transactions') }}
    where _batch_id in {{ loaded_batches('core') }}
),

raw_cards as (
    select count(distinct card_txn_id) as n
    from {{ source('cards', 'card_transactions') }}
    where _batch_id in {{ loaded_batches('cards') }}
)

select 'core' as system, (select n from raw_core) as raw_rows, (select count(*) from {{ ref('fct_transactions') }}) as fact_rows
where (select n from raw_core) <> (select count(*) from {{ ref('fct_transactions') }})
union all
select 'cards', (select n from raw_cards), (select count(*) from {{ ref('fct_card_transactions') }})
where (select n from raw_cards) <> (select count(*) from {{ ref('fct_card_transactions') }})
