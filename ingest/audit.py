"""The warehouse's ``audit`` and ``raw`` schemas: table definitions, and the delivery history the loader decides from.

``audit.deliveries``      one row per delivery attempt (a batch): LOADED, REJECTED, SUPERSEDED or WITHDRAWN
``audit.withdrawals``     one row per delivery taken out by ``crmwh withdraw`` (``ingest.withdraw``)
``audit.delivery_files``  one row per file of an attempt, with its checksums, control counts and row accounting
``audit.rejected_rows``   one row per problem found in a row of an accepted file (a row can have several)
``raw.<system>__<extract>`` every contract column, typed, plus the lineage columns in ``LINEAGE_COLUMNS``

Timestamps are UTC. Batch ids are global and increase in the order attempts were made.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from contracts.contract import Contract
from contracts.errors import CrmwhError

LOADED = "LOADED"
REJECTED = "REJECTED"
SUPERSEDED = "SUPERSEDED"
WITHDRAWN = "WITHDRAWN"  # taken out by `crmwh withdraw` (the loaded batch, and a marker row per withdrawn delivery)

# File statuses: a file of a rejected delivery that passed its own checks is NOT_LOADED.
FILE_LOADED = "LOADED"
FILE_REJECTED = "REJECTED"
FILE_NOT_LOADED = "NOT_LOADED"
FILE_SUPERSEDED = "SUPERSEDED"
FILE_WITHDRAWN = "WITHDRAWN"

# Why a delivery was rejected (audit.deliveries.reason_code).
CHECK_FAILED = "CHECK_FAILED"  # a file or its rows failed the checks
ERROR = "ERROR"  # the load itself failed (rolled back)
CHANGED_REDELIVERY = "CHANGED_REDELIVERY"  # already loaded with other files, and no --reload
OUT_OF_ORDER = "OUT_OF_ORDER"  # older than the latest loaded business date of the system
HELD = "HELD"  # an earlier delivery of the system is not loaded
GAP = "GAP"  # the business date before it has no loaded delivery of the system (held until it has)
WITHDRAWN_BY_OPERATOR = "WITHDRAWN"  # the operator withdrew this delivery: refused again while its files are the same
WITHDRAWN_WITH = "WITHDRAWN_DEPENDENT"  # withdrawn with an earlier or referenced delivery: loads again on the next run

# Rejections that stop later deliveries of the same system (the others are about the delivery's place, not content).
BLOCKING_CODES = frozenset({CHECK_FAILED, ERROR})

LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_batch_id", "BIGINT"),
    ("_business_date", "DATE"),
    ("_source_file", "VARCHAR"),
    ("_line_number", "BIGINT"),
    ("_loaded_at", "TIMESTAMP"),
)

AUDIT_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE IF NOT EXISTS audit.deliveries (
    batch_id BIGINT NOT NULL,
    system VARCHAR NOT NULL,
    business_date DATE NOT NULL,
    status VARCHAR NOT NULL,
    reason_code VARCHAR,
    reason VARCHAR,
    files INTEGER,
    control_records BIGINT,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_rejected BIGINT,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    duration_seconds DOUBLE,
    reload BOOLEAN,
    replaced_batch_id BIGINT,
    superseded_by_batch_id BIGINT,
    superseded_at TIMESTAMP,
    fingerprint VARCHAR,
    delivery_path VARCHAR
);
CREATE TABLE IF NOT EXISTS audit.delivery_files (
    batch_id BIGINT NOT NULL,
    system VARCHAR NOT NULL,
    business_date DATE NOT NULL,
    extract VARCHAR,
    file_name VARCHAR NOT NULL,
    byte_size BIGINT,
    md5 VARCHAR,
    control_file_name VARCHAR,
    control_file_md5 VARCHAR,
    control_record_count BIGINT,
    control_byte_size BIGINT,
    control_md5 VARCHAR,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_rejected BIGINT,
    status VARCHAR NOT NULL,
    reason VARCHAR
);
CREATE TABLE IF NOT EXISTS audit.rejected_rows (
    batch_id BIGINT NOT NULL,
    system VARCHAR NOT NULL,
    business_date DATE NOT NULL,
    extract VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    line_number BIGINT NOT NULL,
    column_name VARCHAR,
    reason_code VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    raw_text VARCHAR
);
CREATE TABLE IF NOT EXISTS audit.delivery_warnings (
    batch_id BIGINT NOT NULL,
    system VARCHAR NOT NULL,
    business_date DATE NOT NULL,
    extract VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    warning_code VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    record_count BIGINT,
    trailing_median DOUBLE,
    previous_record_count BIGINT
);
CREATE TABLE IF NOT EXISTS audit.withdrawals (
    withdrawal_id BIGINT NOT NULL,
    withdrawn_at TIMESTAMP NOT NULL,
    withdrawn_by VARCHAR,
    requested_system VARCHAR NOT NULL,
    requested_date DATE NOT NULL,
    reason VARCHAR NOT NULL,
    system VARCHAR NOT NULL,
    business_date DATE NOT NULL,
    dependent BOOLEAN NOT NULL,
    withdrawn_batch_id BIGINT,
    marker_batch_id BIGINT NOT NULL,
    rows_removed BIGINT NOT NULL
);
CREATE OR REPLACE VIEW audit.delivery_status AS
WITH attempts AS (
    SELECT *, row_number() OVER (PARTITION BY system, business_date ORDER BY batch_id DESC) AS attempt_rank
    FROM audit.deliveries
)
SELECT
    a.system,
    a.business_date,
    l.batch_id AS loaded_batch_id,
    coalesce(l.rows_loaded, 0) AS rows_loaded,
    a.batch_id AS last_batch_id,
    a.status AS last_status,
    a.reason_code AS last_reason_code,
    a.reason AS last_reason,
    (SELECT count(*) FROM audit.rejected_rows r WHERE r.batch_id = a.batch_id) AS last_rejected_row_problems
FROM attempts a
LEFT JOIN audit.deliveries l
    ON l.system = a.system AND l.business_date = a.business_date AND l.status = 'LOADED'
WHERE a.attempt_rank = 1;
"""

FILE_COLUMNS = (
    "batch_id", "system", "business_date", "extract", "file_name", "byte_size", "md5", "control_file_name",
    "control_file_md5", "control_record_count", "control_byte_size", "control_md5", "rows_read", "rows_loaded",
    "rows_rejected", "status", "reason",
)
DELIVERY_COLUMNS = (
    "batch_id", "system", "business_date", "status", "reason_code", "reason", "files", "control_records",
    "rows_read", "rows_loaded", "rows_rejected", "started_at", "finished_at", "duration_seconds", "reload",
    "replaced_batch_id", "fingerprint", "delivery_path",
)


def insert_json(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]], rows: list[tuple],
                work_dir: Path | None = None) -> None:
    """Append Python rows to a table through a newline-delimited JSON file: one statement for any number of rows,
    exact for any text, NULL included (binding thousands of parameters costs more than the rows)."""
    if not rows:
        return
    fd, path = tempfile.mkstemp(prefix="crmwh-rows-", suffix=".ndjson", dir=work_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            names = [c for c, _ in columns]
            for row in rows:
                out.write(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False, default=str) + "\n")
        spec = "{" + ", ".join(f"{_sql_str(c)}: {_sql_str(t)}" for c, t in columns) + "}"
        con.execute(f"INSERT INTO {table} ({', '.join(quote_ident(c) for c in names)}) "
                    f"SELECT * FROM read_json({_sql_str(path)}, columns = {spec}, format = 'newline_delimited')")
    finally:
        os.unlink(path)


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class SchemaMismatchError(CrmwhError):
    """A raw table exists with columns other than its contract gives."""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def raw_table_ref(contract: Contract) -> str:
    return f"raw.{quote_ident(contract.raw_table)}"


def raw_columns(contract: Contract) -> list[tuple[str, str]]:
    return [(c.name, c.duckdb_type) for c in contract.columns] + list(LINEAGE_COLUMNS)


def ensure_schema(con: duckdb.DuckDBPyConnection, contracts: Iterable[Contract]) -> None:
    """Create the audit tables and one raw table per contract (idempotent); refuse raw tables that drifted."""
    con.execute(AUDIT_DDL)
    existing: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'raw' AND table_catalog = current_database() ORDER BY table_name, ordinal_position"
    ).fetchall():
        existing.setdefault(table, []).append((column, dtype))
    for contract in contracts:
        wanted = raw_columns(contract)
        have = existing.get(contract.raw_table)
        if have is None:
            cols = ", ".join(f"{quote_ident(n)} {t}" for n, t in wanted)
            con.execute(f"CREATE TABLE {raw_table_ref(contract)} ({cols})")
        elif [(n, t.upper()) for n, t in have] != [(n, t.upper()) for n, t in wanted]:
            raise SchemaMismatchError(
                f"raw.{contract.raw_table} has columns {have} but the contract {contract.source_path} gives "
                f"{wanted}; migrate the table (or rebuild the warehouse) before loading"
            )


@dataclass
class Attempt:
    batch_id: int
    system: str
    business_date: date
    status: str
    reason_code: str | None
    reason: str | None
    fingerprint: str | None


class DeliveryHistory:
    """What audit.deliveries says about every system and business date, kept in step as the loader goes.

    Loads of independent systems run on several threads and record their outcome here: every method holds a lock.
    """

    def __init__(self) -> None:
        self.attempts: dict[tuple[str, date], list[Attempt]] = {}
        self.days: dict[str, set[date]] = {}  # per system, the dates with attempts (keeps the look-ups per system)
        self.next_batch_id = 1
        self._lock = threading.Lock()

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> DeliveryHistory:
        history = cls()
        rows = con.execute(
            "SELECT batch_id, system, business_date, status, reason_code, reason, fingerprint "
            "FROM audit.deliveries ORDER BY batch_id"
        ).fetchall()
        for row in rows:
            history.add(Attempt(*row))
        return history

    def copy(self) -> DeliveryHistory:
        """An independent copy, to plan on: what-if decisions that may be taken back."""
        with self._lock:
            other = DeliveryHistory()
            other.attempts = {k: [dataclasses.replace(a) for a in v] for k, v in self.attempts.items()}
            other.days = {k: set(v) for k, v in self.days.items()}
            other.next_batch_id = self.next_batch_id
            return other

    def add(self, attempt: Attempt) -> None:
        with self._lock:
            self.attempts.setdefault((attempt.system, attempt.business_date), []).append(attempt)
            self.days.setdefault(attempt.system, set()).add(attempt.business_date)
            self.next_batch_id = max(self.next_batch_id, attempt.batch_id + 1)

    def supersede(self, batch_id: int) -> None:
        with self._lock:
            for attempts in self.attempts.values():
                for a in attempts:
                    if a.batch_id == batch_id:
                        a.status = SUPERSEDED

    def take_batch_id(self) -> int:
        with self._lock:
            batch_id = self.next_batch_id
            self.next_batch_id += 1
            return batch_id

    def loaded(self, system: str, day: date) -> Attempt | None:
        with self._lock:
            return next((a for a in self.attempts.get((system, day), []) if a.status == LOADED), None)

    def last(self, system: str, day: date) -> Attempt | None:
        with self._lock:
            attempts = self.attempts.get((system, day))
            return attempts[-1] if attempts else None

    def withdrawn(self, system: str, day: date) -> Attempt | None:
        """The withdrawal marker of ``system`` on ``day`` when nothing loaded since it was withdrawn."""
        with self._lock:
            for a in reversed(self.attempts.get((system, day), [])):
                if a.status == LOADED:
                    return None
                if a.status == WITHDRAWN and a.reason_code in (WITHDRAWN_BY_OPERATOR, WITHDRAWN_WITH):
                    return a
            return None

    def latest_loaded_date(self, system: str) -> date | None:
        with self._lock:
            return self._latest_loaded_date(system)

    def _latest_loaded_date(self, system: str) -> date | None:
        for d in sorted(self.days.get(system, ()), reverse=True):
            if any(a.status == LOADED for a in self.attempts[(system, d)]):
                return d
        return None

    def blocking(self, system: str, before: date) -> Attempt | None:
        """The earliest rejected, never-loaded delivery of ``system`` after its latest loaded date, before ``before``.

        Deliveries refused for their place in the sequence (held, out of order, changed without --reload) do not
        block: only a delivery whose own content failed does.
        """
        with self._lock:
            latest = self._latest_loaded_date(system)
            candidates = []
            for d in self.days.get(system, ()):
                if d >= before or (latest is not None and d <= latest):
                    continue
                attempts = self.attempts[(system, d)]
                if any(a.status == LOADED for a in attempts):
                    continue
                last = attempts[-1]
                if last.status == REJECTED and last.reason_code in BLOCKING_CODES:
                    candidates.append(last)
            return min(candidates, key=lambda a: a.business_date) if candidates else None


def insert_delivery(con: duckdb.DuckDBPyConnection, values: dict[str, object]) -> None:
    cols = ", ".join(DELIVERY_COLUMNS)
    marks = ", ".join("?" for _ in DELIVERY_COLUMNS)
    con.execute(f"INSERT INTO audit.deliveries ({cols}) VALUES ({marks})", [values.get(c) for c in DELIVERY_COLUMNS])


def insert_files(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> None:
    _insert_many(con, "audit.delivery_files", FILE_COLUMNS, rows)


def insert_deliveries(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> None:
    _insert_many(con, "audit.deliveries", DELIVERY_COLUMNS, rows)


def _insert_many(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...],
                 rows: list[dict[str, object]], per_statement: int = 100) -> None:
    if len(rows) > per_statement:
        schema, name = table.split(".")
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_schema = ? AND table_name = ?", [schema, name]).fetchall())
        insert_json(con, table, [(c, types[c]) for c in columns], [tuple(r.get(c) for c in columns) for r in rows])
        return
    cols = ", ".join(columns)
    one = "(" + ", ".join("?" for _ in columns) + ")"
    for start in range(0, len(rows), per_statement):
        part = rows[start: start + per_statement]
        params = [row.get(c) for row in part for c in columns]
        con.execute(f"INSERT INTO {table} ({cols}) VALUES " + ", ".join(one for _ in part), params)
