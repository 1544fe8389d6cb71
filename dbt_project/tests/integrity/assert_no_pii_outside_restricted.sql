-- No column outside restricted_pii carries a personal-data column name of the extracts (names, ID numbers, phones,
-- addresses, birth dates); the marts carry *_masked columns only.
select table_schema, table_name, column_name
from {{ modelled_columns(['staging', 'snapshots', 'intermediate', 'marts']) }} as c
where column_name in ('customer_name', 'cardholder_name', 'id_number', 'mobile_phone', 'address', 'birth_date',
                      'born_on', 'rm_name', 'counterparty_name')
