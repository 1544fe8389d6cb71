"""The project's own generic data tests (dbt_project/macros/tests/generic_tests.sql), rendered as dbt renders a
``{% test %}`` block and run on DuckDB against what the plain SQL of the rule gives."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pytest

GENERIC_TESTS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "tests" / "generic_tests.sql"


def _tests() -> Any:
    # dbt turns `{% test name(...) %}` into the macro `test_name`; plain Jinja needs it spelled as a macro
    text = GENERIC_TESTS.read_text(encoding="utf-8")
    text = re.sub(r"{%\s*test\s+(\w+)\(", r"{% macro test_\1(", text)
    text = re.sub(r"{%\s*endtest\s*%}", "{% endmacro %}", text)
    return jinja2.Environment(extensions=["jinja2.ext.do"]).from_string(text).module


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return sorted(con.execute(sql).fetchall(), key=repr)


PLAIN = "select a, b, count(*) as n_rows from t group by a, b having count(*) > 1"


@pytest.mark.parametrize("hash_kind", ["duckdb", "always_collides", "few_buckets"])
def test_unique_combination_reports_exactly_the_repeated_combinations(hash_kind: str) -> None:
    """Every repeated (a, b) and its count, NULLs grouped as GROUP BY groups them, and no false repeat when the hash
    collides: with a hash that maps every row to one value, or to seven, the answer is the same."""
    rng = random.Random(12)
    rows: list[tuple[int | None, str | None]] = [(rng.randint(0, 3000), rng.choice("xyz")) for _ in range(5000)]
    rows += [(None, "x"), (None, "x"), (7, None), (7, None), (7, None), (None, None)]
    sql = str(_tests().test_unique_combination(model="t", columns=["a", "b"]))
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (a INTEGER, b VARCHAR, payload DOUBLE)")
        con.executemany("INSERT INTO t VALUES (?, ?, random())", rows)
        if hash_kind == "always_collides":
            con.execute("CREATE MACRO weak_hash(x, y) AS 0")
            sql = sql.replace("hash(", "weak_hash(")
        elif hash_kind == "few_buckets":
            con.execute("CREATE MACRO weak_hash(x, y) AS hash(x, y) % 7")
            sql = sql.replace("hash(", "weak_hash(")
        expected = _rows(con, PLAIN)
        assert (None, "x", 2) in expected and (7, None, 3) in expected and len(expected) > 100
        assert _rows(con, sql) == expected
        con.execute("DELETE FROM t WHERE rowid NOT IN (SELECT min(rowid) FROM t GROUP BY a, b)")
        assert _rows(con, sql) == []
