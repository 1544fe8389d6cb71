"""bench/marts_hash.py, the before/after check of issue 12: a table's fingerprint depends on its rows' values, not on
their order or on the width of a DECIMAL holding them, and any changed value shows."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bench import marts_hash


def _warehouse(path: Path, amount_type: str, rows: list[tuple[int, str]]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(f"CREATE TABLE marts.fct (id INTEGER, amount {amount_type})")
        con.executemany("INSERT INTO marts.fct VALUES (?, ?)", rows)
    return path


def test_same_values_in_another_order_and_width_compare_equal_and_a_cent_does_not(tmp_path: Path) -> None:
    before = marts_hash.warehouse_fingerprints(
        _warehouse(tmp_path / "a.duckdb", "DECIMAL(38, 2)", [(1, "10.50"), (2, "-0.01"), (2, "-0.01")]))
    after = marts_hash.warehouse_fingerprints(
        _warehouse(tmp_path / "b.duckdb", "DECIMAL(18, 2)", [(2, "-0.01"), (1, "10.50"), (2, "-0.01")]))
    changed = marts_hash.warehouse_fingerprints(
        _warehouse(tmp_path / "c.duckdb", "DECIMAL(18, 2)", [(2, "-0.01"), (1, "10.51"), (2, "-0.01")]))
    fewer = marts_hash.warehouse_fingerprints(
        _warehouse(tmp_path / "d.duckdb", "DECIMAL(18, 2)", [(1, "10.50"), (2, "-0.01")]))

    assert marts_hash.differences(before, after) == []
    assert marts_hash.type_changes(before, after) == ["fct.amount: DECIMAL(38,2) -> DECIMAL(18,2)"]
    assert marts_hash.differences(before, changed) == ["fct: contents differ"]
    assert marts_hash.differences(before, fewer) == ["fct: rows differ (3 / 2)"]
