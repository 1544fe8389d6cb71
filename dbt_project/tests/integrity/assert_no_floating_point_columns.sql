-- Money and rates stay DECIMAL end to end: no column of the warehouse's modelled schemas is a floating-point type.
select table_schema, table_name, column_name, data_type
from information_schema.columns
where table_catalog = current_database()
  and table_schema in ('staging', 'snapshots', 'intermediate', 'marts', 'restricted_pii')
  and upper(data_type) in ('DOUBLE', 'FLOAT', 'REAL')
