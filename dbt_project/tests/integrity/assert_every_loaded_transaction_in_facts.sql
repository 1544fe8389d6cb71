-- Every transaction of a LOADED delivery is in the transaction facts exactly once, and nothing else is (in a daily
-- build: the batches it loaded, macros/tests/daily_scope.sql).
with raw_core as (
    select count(distinct txn_id) as n
    from {{ source('core', 'transactions') }}
    where _batch_id in {{ loaded_batches('core') }}
      and {{ batches_loaded_by_this_build() }}
),

raw_cards as (
    select count(distinct card_txn_id) as n
    from {{ source('cards', 'card_transactions') }}
    where _batch_id in {{ loaded_batches('cards') }}
      and {{ batches_loaded_by_this_build() }}
),

core_facts as (
    select count(*) as n from {{ ref('fct_transactions') }} where {{ batches_loaded_by_this_build() }}
),

card_facts as (
    select count(*) as n from {{ ref('fct_card_transactions') }} where {{ batches_loaded_by_this_build() }}
)

select 'core' as system, (select n from raw_core) as raw_rows, (select n from core_facts) as fact_rows
where (select n from raw_core) <> (select n from core_facts)
union all
select 'cards', (select n from raw_cards), (select n from card_facts)
where (select n from raw_cards) <> (select n from card_facts)
