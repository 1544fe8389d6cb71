-- The daily card balances int_card_balances_monthly rebuilds from the card postings end where the card system's
-- statement ends: for every card and statement month, opening balance + the month's postings = statement closing
-- balance, to the cent. A posting missing from the warehouse, or a type counted the wrong way, fails here.
select
    month_start,
    account_id,
    opening_balance,
    rebuilt_closing_balance,
    closing_balance
from {{ ref('int_card_balances_monthly') }}
where {{ months_rebuilt_by_this_build('month_start') }}
  and rebuilt_closing_balance <> closing_balance
