{#-
  The generic data tests of a `crmwh build`, in one dbt node.

  A plain `dbt build` runs every generic data test as its own node, and dbt's fixed cost of a node (~0.05-0.1 s to
  compile, start and record it) dwarfs the work of most tests: at scale 0.3 the ~670 test nodes of a full build took
  64 s of dbt's node time, the same tests in one node 8 s (bench/README.md). So both selectors `crmwh build` uses (dbt_project/selectors.yml) leave the generic tests out and
  tests/daily/daily_generic_data_tests.sql runs all of them, with the same test macros, and reports every failing test
  by its name with its number of failing rows:
  - `full` (a full refresh): every generic test of the models, seeds and sources, over every row;
  - `daily` (the project code is unchanged): the tests of the models and sources (the seeds change only with the
    project code, which makes the build a full one), over the rows this build wrote.

  What a daily test reads: on an incremental model, only the rows this build wrote — rows of batches newer
  than the newest the previous build had seen (`replace_loaded` models, `_batch_id`) or months whose watermark moved
  past it (`replace_months` models, `_max_batch_id`). Older rows were tested by the build that wrote them and no later
  build changed them; both strategies replace whole keys or months, so a key cannot repeat between old and new rows.
  Tests of views, of tables rebuilt in full and of sources read everything; a view is computed once for all its tests.
  A table a daily build carried over unchanged (macros/rebuild_when_inputs_change.sql) is not tested again.
  "The previous build" is the newest row of audit.dbt_builds (crmwh/dbt_runs.py records every build there), read when
  the query is compiled, so the dbt command stays the same every day and dbt keeps its partial parse.
-#}

{#-
  The SQL of tests/daily/daily_generic_data_tests.sql. Under the `full` or `daily` selector the checks run while this
  test compiles, in chunks of a few tested models each (DuckDB plans one union of hundreds of subqueries several times slower
  than the same checks in chunks), and the test's SQL is the list of failing tests with their numbers of failing rows,
  each also logged; under any other selection (a plain `dbt build`, where the tests are nodes of their own) it returns
  nothing.
-#}
{% macro daily_generic_data_tests(chunk_size=25) -%}
    {%- set nothing = 'select null as test_name, null as failures where false' -%}
    {%- if not execute -%}
        {{- return(nothing) -}}
    {%- endif -%}
    {%- do assert_runs_after_every_model() -%}
    {%- set selector = invocation_args_dict.get('selector') -%}
    {%- if selector not in ('daily', 'full') -%}
        {{- return(nothing) -}}
    {%- endif -%}
    {%- set after = daily_tests_after_batch() if selector == 'daily' else none -%}
    {%- set selected = {} -%}
    {%- for unique_id in selected_resources -%}
        {%- do selected.update({unique_id: true}) -%}
    {%- endfor -%}
    {#- tested unique_id -> {'cte': what its tests read, 'checks': [one select per test]}, in a stable order -#}
    {%- set groups = {} -%}
    {%- set order = [] -%}
    {%- for test in graph.nodes.values() | sort(attribute='unique_id')
            if test.resource_type == 'test' and test.test_metadata and test.unique_id not in selected -%}
        {%- set tested = tested_by(test, include_seeds=(selector == 'full')) -%}
        {%- if tested is not none -%}
            {%- do assert_default_test_config(test) -%}
            {%- if tested.unique_id not in groups -%}
                {%- set name = 'tested_' ~ (order | length) -%}
                {%- set written = rows_written_by_this_build(tested, after) -%}
                {%- if written -%}
                    {%- set cte = name ~ ' as materialized (select * from ' ~ tested.relation_name
                                  ~ ' where ' ~ written ~ ')' -%}
                {%- elif tested.resource_type == 'model' and tested.config.materialized == 'view' -%}
                    {%- set cte = name ~ ' as materialized (select * from ' ~ tested.relation_name ~ ')' -%}
                {%- else -%}
                    {%- set cte = name ~ ' as (select * from ' ~ tested.relation_name ~ ')' -%}
                {%- endif -%}
                {%- do groups.update({tested.unique_id: {'name': name, 'cte': cte, 'checks': []}}) -%}
                {%- do order.append(tested.unique_id) -%}
            {%- endif -%}
            {%- set group = groups[tested.unique_id] -%}
            {%- set relation = group.name -%}
            {%- if test.config.where -%}
                {%- set relation = '(select * from ' ~ relation ~ ' where (' ~ test.config.where ~ ')) dbt_subquery' -%}
            {%- endif -%}
            {%- do group.checks.append("select '" ~ test.name | replace("'", "''")
                                       ~ "' as test_name, (select count(*) from (\n"
                                       ~ generic_test_sql(test, tested, relation) ~ "\n) as dbt_test) as failures") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set failed = [] -%}
    {%- set chunk = {'ctes': [], 'checks': []} -%}
    {%- for unique_id in order -%}
        {%- do chunk.ctes.append(groups[unique_id].cte) -%}
        {%- do chunk.checks.extend(groups[unique_id].checks) -%}
        {%- if chunk.checks | length >= chunk_size or loop.last -%}
            {%- set result = run_query('with\n' ~ chunk.ctes | join(',\n') ~ '\nselect test_name, failures from (\n'
                                       ~ chunk.checks | join('\nunion all\n') ~ '\n) as checks where failures <> 0') -%}
            {%- for row in result.rows -%}
                {%- do failed.append((row[0], row[1] | int)) -%}
                {%- do log(selector ~ ' data tests: ' ~ row[0] ~ ' failed on ' ~ row[1] ~ ' rows', info=true) -%}
            {%- endfor -%}
            {%- do chunk.update({'ctes': [], 'checks': []}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not failed -%}
        {{- return(nothing) -}}
    {%- endif -%}
    {%- set rows = [] -%}
    {%- for name, count in failed -%}
        {%- do rows.append("('" ~ name | replace("'", "''") ~ "', " ~ count ~ ")") -%}
    {%- endfor -%}
    {{- return('select * from (values ' ~ rows | join(', ') ~ ') as failed(test_name, failures)') -}}
{%- endmacro %}

{#-
  The node a generic test is about (a model, a source, or with include_seeds a seed), or none when the build leaves its
  tests out: the daily build leaves out the tests on seeds (parameters change only with the project code, which makes
  the build a full refresh).
-#}
{% macro tested_by(test, include_seeds=false) -%}
    {%- set kinds = ('model', 'seed') if include_seeds else ('model',) -%}
    {%- if test.attached_node -%}
        {%- set tested = graph.nodes.get(test.attached_node) -%}
        {{- return(tested if tested is not none and tested.resource_type in kinds else none) -}}
    {%- endif -%}
    {%- set sources = test.depends_on.nodes | select('in', graph.sources) | list -%}
    {%- if sources | length != 1 or test.depends_on.nodes | length != 1 -%}
        {{- exceptions.raise_compiler_error("generic data tests: cannot tell which node test " ~ test.name
            ~ " is about; teach tested_by() about it") -}}
    {%- endif -%}
    {{- return(graph.sources[sources[0]]) -}}
{%- endmacro %}

{#- The daily query reports a failing test by its number of failing rows, as dbt's defaults (severity error, count(*),
    fail if != 0) do; a test configured otherwise must be taught here rather than silently judged by other rules. -#}
{% macro assert_default_test_config(test) -%}
    {%- set c = test.config -%}
    {%- if (c.severity | upper) != 'ERROR' or c.fail_calc != 'count(*)' or c.warn_if != '!= 0'
            or c.error_if != '!= 0' or c.limit is not none -%}
        {{- exceptions.raise_compiler_error("generic data tests: test " ~ test.name ~ " has a non-default severity, "
            ~ "fail_calc, warn_if, error_if or limit; teach daily_generic_data_tests() to judge it") -}}
    {%- endif -%}
{%- endmacro %}

{#- The SQL of one generic test, from the test macro dbt itself would call, on `relation` (what the test reads). -#}
{% macro generic_test_sql(test, tested, relation) -%}
    {%- set macro_name = 'test_' ~ test.test_metadata.name -%}
    {%- set namespace = test.test_metadata.namespace -%}
    {%- if namespace in (none, 'crmwh') and macro_name in crmwh -%}
        {%- set test_macro = crmwh[macro_name] -%}
    {%- elif namespace in (none, 'dbt') and macro_name in dbt -%}
        {%- set test_macro = dbt[macro_name] -%}
    {%- else -%}
        {{- exceptions.raise_compiler_error("generic data tests: no macro " ~ macro_name ~ " for test " ~ test.name) -}}
    {%- endif -%}
    {%- set kwargs = {} -%}
    {%- for key, value in test.test_metadata.kwargs.items() if key != 'model' -%}
        {%- do kwargs.update({key: value}) -%}
    {%- endfor -%}
    {%- if 'to' in kwargs -%}
        {%- do kwargs.update({'to': referenced_relation(test, tested, kwargs['to'])}) -%}
    {%- endif -%}
    {{- return(test_macro(model=relation, **kwargs)) -}}
{%- endmacro %}

{#- The relation a relationships-style `to: ref(...)` / `source(...)` argument names: the test's other input. -#}
{% macro referenced_relation(test, tested, to) -%}
    {%- set others = test.depends_on.nodes | reject('equalto', tested.unique_id) | list -%}
    {%- if others | length == 0 -%}
        {%- set parent = tested -%}
    {%- elif others | length == 1 -%}
        {%- set parent = graph.nodes.get(others[0]) or graph.sources.get(others[0]) -%}
    {%- else -%}
        {%- set parent = none -%}
    {%- endif -%}
    {%- if parent is none or ("'" ~ parent.name ~ "'") not in to -%}
        {{- exceptions.raise_compiler_error("generic data tests: cannot resolve `to: " ~ to ~ "` of test " ~ test.name) -}}
    {%- endif -%}
    {{- return(parent.relation_name) -}}
{%- endmacro %}

{#-
  The newest batch the previous build had seen: var `tests_after_batch` when given, else the newest build recorded in
  audit.dbt_builds; none (test every row) on a full refresh or a warehouse without a recorded build.
-#}
{% macro daily_tests_after_batch() -%}
    {%- set given = var('tests_after_batch', none) -%}
    {%- if given is not none -%}
        {{- return(given | int) -}}
    {%- endif -%}
    {%- if flags.FULL_REFRESH -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set builds = adapter.get_relation(database=target.database, schema='audit', identifier='dbt_builds') -%}
    {%- if builds is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set newest = run_query('select max_batch_id from ' ~ builds ~ ' order by build_id desc limit 1') -%}
    {{- return(newest.columns[0].values()[0] | int if newest.rows | length else none) -}}
{%- endmacro %}

{#- The filter on the rows this daily build wrote into the tested node, or none (test everything). -#}
{% macro rows_written_by_this_build(tested, after) -%}
    {%- if after is not none and tested.resource_type == 'model' and tested.config.materialized == 'table' -%}
        {#- a table carried over unchanged was tested when it was recomputed (macros/rebuild_when_inputs_change.sql) -#}
        {{- return(rows_recomputed_by_this_build(tested, after)) -}}
    {%- endif -%}
    {%- if after is none or tested.resource_type != 'model' or tested.config.materialized != 'incremental' -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set column = {'replace_loaded': '_batch_id', 'replace_months': '_max_batch_id'}.get(
        tested.config.incremental_strategy) -%}
    {%- if column is none -%}
        {{- exceptions.raise_compiler_error(
            "daily data tests: incremental model " ~ tested.name ~ " uses strategy "
            ~ tested.config.incremental_strategy ~ "; teach rows_written_by_this_build() which rows it writes") -}}
    {%- endif -%}
    {{- return(column ~ ' > ' ~ (after | int)) -}}
{%- endmacro %}

{#-
  The daily query must run after every model it tests: the test refs each model no other model reads (a leaf of the
  DAG), hence after all of them. Checked on every run so that a new leaf model cannot be missed.
-#}
{% macro assert_runs_after_every_model() -%}
    {%- set read = {} -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- for parent in node.depends_on.nodes -%}
            {%- do read.update({parent: true}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set missing = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='name')
            if node.resource_type == 'model' and node.unique_id not in read
            and node.unique_id not in model.depends_on.nodes -%}
        {%- do missing.append(node.name) -%}
    {%- endfor -%}
    {%- if missing -%}
        {{- exceptions.raise_compiler_error("tests/daily/daily_generic_data_tests.sql must ref every leaf model; add "
            ~ "`-- depends_on: {{ ref('...') }}` for: " ~ missing | join(', ')) -}}
    {%- endif -%}
{%- endmacro %}

{#-
  Scope of the singular tests (reconciliations, integrity) in a daily build. Like the generic tests, they read what
  this build wrote: month-level checks the months it rebuilt, row-level checks the batches it loaded. Older months and
  batches were checked by the build that wrote them, and nothing has changed them since: a month is rebuilt whole when
  its watermark in int_month_watermarks moves past the newest batch the previous build had seen (a new delivery in it
  or a reload of an earlier date), and a reload's rows carry its own, newer batch id. Outside a daily build (a full
  refresh, a plain `dbt build`, the test suite): every month and every batch.
-#}
{% macro daily_build_after_batch() -%}
    {%- if not execute or invocation_args_dict.get('selector') != 'daily' -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(daily_tests_after_batch()) -}}
{%- endmacro %}

{#- `month_column` is a month this build rebuilt (a daily build), else true. -#}
{% macro months_rebuilt_by_this_build(month_column) -%}
    {#- ref() outside the branch so that dbt records the dependency when it parses the test -#}
    {%- set watermarks = ref('int_month_watermarks') -%}
    {%- set after = daily_build_after_batch() -%}
    {%- if after is none -%}
        true
    {%- else -%}
        {{ month_column }} in (select month_start from {{ watermarks }} where max_batch_id > {{ after | int }})
    {%- endif -%}
{%- endmacro %}

{#- `batch_column` is a batch this build loaded (a daily build), else true. -#}
{% macro batches_loaded_by_this_build(batch_column='_batch_id') -%}
    {%- set after = daily_build_after_batch() -%}
    {{- 'true' if after is none else batch_column ~ ' > ' ~ (after | int) -}}
{%- endmacro %}
