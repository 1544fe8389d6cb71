"""The ``quality`` schema: every run's results, appended, for the Superset data-quality panel and for the next run.

``quality.validation_results``  one row per expectation per run (the panel's table)
``quality.validation_runs``     one row per run: when, which stages, passed or not, counts, duration
``quality.validated_batches``   which deliveries a run validated (a run without explicit batch ids validates the
                                LOADED deliveries no passed run has validated yet)
``quality.latest_results``      view: the results of the latest run of each stage (what the panel shows first)
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from expectations.model import Severity
from expectations.report import ValidationReport

_ROWS_PER_INSERT = 500

DDL = """
CREATE SCHEMA IF NOT EXISTS quality;
CREATE TABLE IF NOT EXISTS quality.validation_results (
    run_id VARCHAR NOT NULL,
    run_at TIMESTAMP NOT NULL,
    stage VARCHAR NOT NULL,
    suite VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    success BOOLEAN NOT NULL,
    observed_value VARCHAR,
    details VARCHAR
);
CREATE TABLE IF NOT EXISTS quality.validation_runs (
    run_id VARCHAR NOT NULL,
    run_at TIMESTAMP NOT NULL,
    stages VARCHAR NOT NULL,
    passed BOOLEAN NOT NULL,
    expectations INTEGER NOT NULL,
    critical_failures INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    duration_seconds DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS quality.validated_batches (
    run_id VARCHAR NOT NULL,
    batch_id BIGINT NOT NULL,
    passed BOOLEAN NOT NULL
);
CREATE OR REPLACE VIEW quality.latest_results AS
SELECT r.*
FROM quality.validation_results AS r
JOIN (SELECT stage, max(run_at) AS run_at FROM quality.validation_results GROUP BY stage) AS latest
    ON latest.stage = r.stage AND latest.run_at = r.run_at;
"""


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def validated_batch_ids(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Deliveries a passed run has already validated."""
    if not has_table(con, "quality", "validated_batches"):
        return set()
    rows = con.execute("SELECT DISTINCT batch_id FROM quality.validated_batches WHERE passed").fetchall()
    return {int(r[0]) for r in rows}


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[list[object]]) -> None:
    """Append ``rows`` with a few multi-row INSERTs: executemany runs one statement per row, several times slower."""
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        one = "(" + ", ".join("?" * len(chunk[0])) + ")"
        con.execute(f"INSERT INTO {table} VALUES {', '.join([one] * len(chunk))}", [v for row in chunk for v in row])


def record(target: Path, report: ValidationReport) -> None:
    """Append ``report`` to the quality tables of ``target`` in one transaction, then close the file again."""
    con = duckdb.connect(str(target))
    try:
        con.execute(DDL)
        con.execute("BEGIN TRANSACTION")
        if report.outcomes:
            _insert(
                con,
                "quality.validation_results",
                [
                    [report.run_id, report.run_at, o.stage, o.suite, o.name, o.severity.value, o.success,
                     o.observed, o.details]
                    for o in report.outcomes
                ],
            )
        con.execute(
            "INSERT INTO quality.validation_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [report.run_id, report.run_at, ",".join(report.stages), report.passed, len(report.outcomes),
             len(report.failed(Severity.CRITICAL)), len(report.failed(Severity.WARNING)), report.seconds],
        )
        if report.batch_ids:
            _insert(con, "quality.validated_batches", [[report.run_id, b, report.passed] for b in report.batch_ids])
        con.execute("COMMIT")
    finally:
        con.close()
