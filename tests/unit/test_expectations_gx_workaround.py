"""The GX-on-DuckDB workaround (expectations/gx_duckdb.py) is needed, works, and stays contained.

``test_unpatched_gx_still_loses_duckdb_rows`` is an upstream-fix detector: it asserts the bug is still there. When it
fails, Great Expectations (or duckdb-engine) reads DuckDB results correctly on its own: delete expectations/gx_duckdb.py
and its uses, then this file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pytest
from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine
from sqlalchemy import event
from sqlalchemy.engine import Engine

from expectations.gx_duckdb import duckdb_results_buffered


@pytest.fixture()
def tiny_db(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS id, CAST(range * 2 AS DECIMAL(18,2)) AS amount FROM range(7)")
    con.close()
    return path


def _row_count_result(db: Path) -> gx.core.ExpectationValidationResult:
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(
        name="tiny", connection_string=f"duckdb:///{db}", kwargs={"connect_args": {"read_only": True}}
    )
    batch = source.add_table_asset(name="t", table_name="t").add_batch_definition_whole_table("all").get_batch()
    try:
        return batch.validate(gxe.ExpectTableRowCountToEqual(value=7))
    finally:
        source.get_execution_engine().close()
        source.get_engine().dispose()


def test_unpatched_gx_still_loses_duckdb_rows(tiny_db: Path) -> None:
    result = _row_count_result(tiny_db)
    fixed_upstream = result.success and result.result.get("observed_value") == 7
    assert not fixed_upstream, (
        "Great Expectations now reads DuckDB results without help: remove expectations/gx_duckdb.py, its use in "
        "expectations/runner.py and this test"
    )
    # the way it breaks: a metric query came back with no rows
    messages = [info.get("exception_message", "") for info in result.exception_info.values() if isinstance(info, dict)]
    assert any("list index out of range" in m for m in messages), result.exception_info


def test_patched_gx_reads_duckdb_rows(tiny_db: Path) -> None:
    with duckdb_results_buffered():
        result = _row_count_result(tiny_db)
    assert result.success, result.exception_info
    assert result.result["observed_value"] == 7


def test_patch_is_undone_after_the_block(tiny_db: Path) -> None:
    before = SqlAlchemyExecutionEngine.execute_query
    with duckdb_results_buffered(), duckdb_results_buffered():
        assert SqlAlchemyExecutionEngine.execute_query is not before
    assert SqlAlchemyExecutionEngine.execute_query is before


@pytest.mark.parametrize(("where", "unexpected"), [("id >= 4", 3), ("id > 99", 0)])
def test_an_unexpected_rows_query_runs_once_and_counts_exactly(tiny_db: Path, where: str, unexpected: int) -> None:
    # GX asks for the rows and for COUNT(*) over the same query; the count comes from the buffered rows. When this
    # fails after a GX upgrade, look at how GX words the count now (expectations/gx_duckdb.py, _COUNT_HEAD/_TAIL).
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        with duckdb_results_buffered():
            context = gx.get_context(mode="ephemeral")
            source = context.data_sources.add_sql(
                name="tiny", connection_string=f"duckdb:///{tiny_db}", kwargs={"connect_args": {"read_only": True}}
            )
            batch = source.add_table_asset(name="t", table_name="t").add_batch_definition_whole_table("all").get_batch()
            try:
                result = batch.validate(
                    gxe.UnexpectedRowsExpectation(unexpected_rows_query=f"SELECT * FROM {{batch}} WHERE {where}"),
                    result_format="SUMMARY",
                )
            finally:
                source.get_execution_engine().close()
                source.get_engine().dispose()
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert result.success is (unexpected == 0), result.exception_info
    assert result.result["observed_value"] == unexpected
    assert len([s for s in statements if where in s]) == 1, statements
