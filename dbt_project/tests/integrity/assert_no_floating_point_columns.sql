-- Money and rates stay DECIMAL end to end: no column of the warehouse's modelled schemas is a floating-point type.
select table_schema, table_name, column_name, data_type
from {{ modelled_columns(['staging', 'snapshots', 'intermediate', 'marts', 'restricted_pii']) }} as c
where upper(data_type) in ('DOUBLE', 'FLOAT', 'REAL')
