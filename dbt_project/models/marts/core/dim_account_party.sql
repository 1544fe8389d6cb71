-- Bridge between accounts and customers (账户关系人): every party of every account with its role, so that the single
-- customer view shows all relationships: the accounts a customer holds, holds jointly, may use or guarantees. Joins
-- to dim_customer on party_id (customer_key: the customer's current version) and to the facts on account_id.
with parties as (
    select * from {{ ref('int_account_parties') }}
),

customers as (
    select party_id, customer_key from {{ ref('dim_customer') }} where is_current
)

select
    p.account_id,
    p.account_source,
    p.party_id,
    coalesce(c.customer_key, {{ unknown_key() }}) as customer_key,
    p.party_role_code,
    p.party_role_name,
    p.party_role_name_zh,
    p.is_primary_holder,
    p.valid_from,
    p.valid_to,
    p.is_current
from parties as p
left join customers as c on c.party_id = p.party_id
