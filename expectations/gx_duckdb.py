"""The one Great Expectations workaround this package needs: DuckDB query results read after the connection closed.

GX 1.24's ``SqlAlchemyExecutionEngine.execute_query`` runs a query inside ``with engine.connect()`` and hands back the
live ``CursorResult``; its callers call ``fetchall()`` / ``fetchone()`` only after that block has closed the
connection. Through duckdb-engine the rows are gone by then, so every metric comes back empty (GX reports
``IndexError: list index out of range`` or a ``MetricResolutionError``) and every expectation fails. GX keeps a
connection open only for a fixed list of dialects (sqlite, mssql, bigquery, databricks), and DuckDB is not on it.

The fix buffers the rows while the connection is still open (``CursorResult.freeze()``), for the DuckDB dialect only,
and only inside :func:`duckdb_results_buffered`. ``tests/unit/test_expectations_gx_workaround.py`` checks that
unpatched GX is still broken: when that test fails, upstream has fixed it and this module can go.

Since every row is buffered anyway, the block also spares DuckDB a second run of each ``UnexpectedRowsExpectation``
query: GX runs the query for its rows and ``SELECT COUNT(*) ... FROM (<the same query>)`` for the count, in either
order, and the count is the number of rows buffered. Whichever of the two comes first runs the query itself once; the
other is answered from its buffered rows (the warehouse is open read-only, so they cannot have changed). Only a count
over the exact text of the query is answered that way; anything else runs as GX wrote it. The test file checks that
the reuse still happens, so a GX upgrade that words the count differently is noticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine

_DIALECT = "duckdb"
_original_execute_query = SqlAlchemyExecutionEngine.execute_query

# How GX 1.24's unexpected_rows_query.row_count metric wraps the query whose rows unexpected_rows_query.table fetched.
_COUNT_COLUMN = "unexpected_row_count"
_COUNT_HEAD = f"SELECT COUNT(*) as {_COUNT_COLUMN} FROM ("
_COUNT_TAIL = ") AS substituted_batch_subquery"

# (id of the engine, query text) -> (engine, its buffered rows), from the first of the pair to the second; the engine
# is held so that its id cannot be reused by another engine in the meantime.
_buffered: dict[tuple[int, str], tuple[SqlAlchemyExecutionEngine, Any]] = {}


def _counted_query(query: Any) -> str | None:
    """The inner query of GX's row-count wrapper, or None when ``query`` is not one."""
    text = getattr(query, "text", None)
    if isinstance(text, str) and text.startswith(_COUNT_HEAD) and text.endswith(_COUNT_TAIL):
        return text[len(_COUNT_HEAD) : -len(_COUNT_TAIL)]
    return None


def _execute_query_buffered(self: SqlAlchemyExecutionEngine, query: Any) -> Any:
    if self.dialect_name != _DIALECT:
        return _original_execute_query(self, query)
    inner = _counted_query(query)
    text = inner if inner is not None else getattr(query, "text", None)
    key = (id(self), text) if isinstance(text, str) else None
    paired = _buffered.pop(key, None) if key is not None else None
    with self.get_connection() as connection:
        if paired is not None:
            frozen = paired[1]
        else:
            # a count runs its query instead, for the rows the other half of the pair will ask for
            result = self._execute_query_with_recovery(connection, sa.text(inner) if inner is not None else query)
            if not result.returns_rows:
                return result
            # freeze() fetches every row now; calling the frozen result gives a Result with the same fetch API.
            frozen = result.freeze()
            if key is not None:
                _buffered[key] = (self, frozen)
        if inner is None:
            return frozen()
        count = sa.text(f"SELECT CAST(:n AS BIGINT) AS {_COUNT_COLUMN}")
        return connection.execute(count, {"n": len(frozen.data)}).freeze()()


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
        _buffered.clear()
