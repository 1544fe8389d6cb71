"""The one Great Expectations workaround this package needs: DuckDB query results read after the connection closed.

GX 1.24's ``SqlAlchemyExecutionEngine.execute_query`` runs a query inside ``with engine.connect()`` and hands back the
live ``CursorResult``; its callers call ``fetchall()`` / ``fetchone()`` only after that block has closed the
connection. Through duckdb-engine the rows are gone by then, so every metric comes back empty (GX reports
``IndexError: list index out of range`` or a ``MetricResolutionError``) and every expectation fails. GX keeps a
connection open only for a fixed list of dialects (sqlite, mssql, bigquery, databricks), and DuckDB is not on it.

The fix buffers the rows while the connection is still open (``CursorResult.freeze()``), for the DuckDB dialect only,
and only inside :func:`duckdb_results_buffered`. ``tests/unit/test_expectations_gx_workaround.py`` checks that
unpatched GX is still broken: when that test fails, upstream has fixed it and this module can go.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine

_DIALECT = "duckdb"
_original_execute_query = SqlAlchemyExecutionEngine.execute_query


def _execute_query_buffered(self: SqlAlchemyExecutionEngine, query: Any) -> Any:
    if self.dialect_name != _DIALECT:
        return _original_execute_query(self, query)
    with self.get_connection() as connection:
        result = self._execute_query_with_recovery(connection, query)
        if not result.returns_rows:
            return result
        # freeze() fetches every row now; calling the frozen result gives a Result with the same fetch API.
        return result.freeze()()


@contextmanager
def duckdb_results_buffered() -> Iterator[None]:
    """Within this block GX reads DuckDB results before it closes the connection (see the module docstring)."""
    if SqlAlchemyExecutionEngine.execute_query is _execute_query_buffered:  # nested use: already patched
        yield
        return
    SqlAlchemyExecutionEngine.execute_query = _execute_query_buffered  # type: ignore[method-assign]
    try:
        yield
    finally:
        SqlAlchemyExecutionEngine.execute_query = _original_execute_query  # type: ignore[method-assign]
