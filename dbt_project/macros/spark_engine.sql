{#-
  The Spark engine's plumbing (`crmwh build --engine spark`, crmwh/spark_build.py; dbt_project/README.md, "Spark").
  Nothing here changes what DuckDB runs: every macro is a no-op or the adapter's own on DuckDB.
-#}

{#-
  The lake's tables (ingest/lake.py: raw and audit as parquet) defined in Spark's catalog at the start of every run, so
  that the core balances source reads raw.core__balances as on DuckDB. crmwh/spark_build.py puts the statements in
  CRMWH_SPARK_LAKE_TABLES (a JSON list, one statement each, built from the lake's _tables.json with DuckDB's column
  types mapped to Spark's); whoever runs dbt on a cluster through a Thrift server sets the same variable
  (`crmwh lake --ddl` prints it).
-#}
{% macro create_lake_tables() -%}
    {{ return(adapter.dispatch('create_lake_tables')()) }}
{%- endmacro %}

{% macro default__create_lake_tables() -%}
{%- endmacro %}

{% macro spark__create_lake_tables() -%}
    {%- if execute -%}
        {%- for statement in fromjson(env_var('CRMWH_SPARK_LAKE_TABLES', '[]')) -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#-
  Money safety: with ANSI mode off, Spark turns a DECIMAL overflow into NULL instead of an error. dbt-spark forces it
  off; crmwh/spark_dbt.py turns it back on. This check makes every Spark run fail at its start if ANSI is not in force
  (a dbt-spark upgrade that defeats the override, or a Thrift server configured without it): never a silent NULL.
-#}
{% macro assert_money_safe_engine() -%}
    {{ return(adapter.dispatch('assert_money_safe_engine')()) }}
{%- endmacro %}

{% macro default__assert_money_safe_engine() -%}
{%- endmacro %}

{% macro spark__assert_money_safe_engine() -%}
    {%- if execute -%}
        {%- set value = run_query("set spark.sql.ansi.enabled").columns[1].values()[0] | string -%}
        {%- if value | lower != 'true' -%}
            {{ exceptions.raise_compiler_error(
                "spark.sql.ansi.enabled is " ~ value ~ " on this Spark session: a DECIMAL overflow would become NULL. "
                ~ "Run dbt through `crmwh build --engine spark` (crmwh/spark_dbt.py) or set it on the Thrift server.") }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#-
  Seeds on Spark. dbt-spark's session mode pastes each value between quotes without escaping (an apostrophe breaks the
  statement, a backslash is read as an escape: '\N' becomes 'N'), turns empty cells into the text 'None' and numbers
  into floats (a long DECIMAL loses digits). These render every value as an escaped string literal cast to the seed's
  column type, and an empty cell as NULL, so a seed loads exactly as its CSV says. A column type written for DuckDB as
  an unsized `varchar` (Spark wants a length) is a `string`, which is what it means.
-#}
{% macro spark_seed_column_types(model, agate_table) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) | string -%}
        {%- do types.append('string' if type | trim | lower in ('varchar', 'text') else type) -%}
    {%- endfor -%}
    {{ return(types) }}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) %}
    {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}
    {%- set types = spark_seed_column_types(model, agate_table) -%}
    {%- set sql -%}
        create table {{ this.render() }} (
            {%- for col_name in agate_table.column_names -%}
                {{ adapter.quote_seed_column(col_name | string, quote_seed_column) }} {{ types[loop.index0] }}
                {%- if not loop.last %}, {% endif -%}
            {%- endfor -%}
        )
        {{ file_format_clause() }}
        {{ partition_cols(label="partitioned by") }}
        {{ clustered_cols(label="clustered by") }}
        {{ location_clause() }}
        {{ comment_clause() }}
    {%- endset -%}
    {%- call statement('_') -%}
        {{ sql }}
    {%- endcall -%}
    {{ return(sql) }}
{% endmacro %}

{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() -%}
    {%- set types = spark_seed_column_types(model, agate_table) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- if value is none -%}
                        cast(null as {{ types[loop.index0] }})
                    {%- else -%}
                        cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ types[loop.index0] }})
                    {%- endif -%}
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}
