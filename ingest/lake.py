"""The lake: the raw layer and the loader's audit as parquet files, for an engine that does not read DuckDB (Spark).

The loader keeps checking and loading deliveries in DuckDB (ingest/loader.py); a bank that builds on Spark
(``crmwh build --engine spark``, or ``engine: spark`` in its profile) gets a copy of what was loaded as parquet:

    <lake>/raw/<system>__<extract>/business_date=YYYY-MM-DD/batch-<batch id>-rows-<n>.parquet
    <lake>/audit/<table>/audit.parquet
    <lake>/_tables.json     every table's location and columns (DuckDB types), for the engine's table definitions

One file per delivery batch and raw table, written once. :func:`sync_lake` makes the lake equal to a warehouse: it
writes the files of batches the warehouse holds and the lake does not, and deletes the files of batches the warehouse no
longer holds (a withdrawn delivery) or holds with another row count. A reload loads a new batch (new file) and marks the
old one SUPERSEDED in audit.deliveries, which the audit tables, rewritten whole on every sync (a few thousand rows),
carry over: Spark's ``loaded_batches()`` sees exactly the statuses DuckDB sees. The sync is idempotent and reads
nothing but the warehouse, so a build that failed after it, or a lake deleted by hand, is put right by the next one.
Every file is written under a temporary name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

RAW_SCHEMA = "raw"
AUDIT_SCHEMA = "audit"
MANIFEST = "_tables.json"
_BATCH_FILE = re.compile(r"^batch-(\d+)-rows-(\d+)\.parquet$")


@dataclass
class LakeReport:
    """What one sync did."""

    tables: int = 0
    batches_written: int = 0
    batches_removed: int = 0
    rows_written: int = 0
    seconds: float = 0.0
    written: list[tuple[str, int]] = field(default_factory=list)  # (raw table, batch id) in write order

    def summary(self) -> str:
        return (f"lake: {self.batches_written} batch file(s) written ({self.rows_written:,} rows), "
                f"{self.batches_removed} removed, {self.tables} tables, {self.seconds:.1f}s")


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [name for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ? "
        "ORDER BY table_name", [schema]).fetchall()]


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind in con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index", [schema, table]).fetchall()]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _copy(con: duckdb.DuckDBPyConnection, query: str, params: list[object], target: Path) -> None:
    """COPY ``query`` to ``target`` as parquet, atomically (a temporary name in the same folder, then a rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        con.execute(f"COPY ({query}) TO '{_sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)", params)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _lake_batches(folder: Path) -> dict[int, tuple[int, Path]]:
    """The batch files of one raw table in the lake: batch id -> (rows, file)."""
    found: dict[int, tuple[int, Path]] = {}
    if folder.is_dir():
        for path in folder.glob("business_date=*/batch-*.parquet"):
            match = _BATCH_FILE.match(path.name)
            if match:
                found[int(match.group(1))] = (int(match.group(2)), path)
    return found


def batch_file(lake: Path, table: str, business_date: date, batch_id: int, rows: int) -> Path:
    return (lake / RAW_SCHEMA / table / f"business_date={business_date:%Y-%m-%d}"
            / f"batch-{batch_id}-rows-{rows}.parquet")


def sync_lake(con: duckdb.DuckDBPyConnection, lake: Path, progress: bool = False) -> LakeReport:
    """Make ``lake`` hold exactly the raw and audit tables of the warehouse ``con`` is connected to."""
    started = time.perf_counter()
    report = LakeReport()
    lake.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict[str, object]] = {}
    raw_tables = _tables(con, RAW_SCHEMA)
    todo: list[tuple[str, int, date, int]] = []
    for table in raw_tables:
        folder = lake / RAW_SCHEMA / table
        folder.mkdir(parents=True, exist_ok=True)  # an extract with no batch yet still reads (as empty)
        manifest[f"{RAW_SCHEMA}.{table}"] = {"location": str(folder), "columns": _columns(con, RAW_SCHEMA, table)}
        wanted = {batch: (business_date, rows) for batch, business_date, rows in con.execute(
            f"SELECT _batch_id, min(_business_date), count(*) FROM {RAW_SCHEMA}.{_quote(table)} GROUP BY _batch_id"
        ).fetchall()}
        have = _lake_batches(folder)
        for batch, (rows, path) in have.items():
            if batch not in wanted or wanted[batch][1] != rows or path != batch_file(lake, table, wanted[batch][0],
                                                                                      batch, rows):
                path.unlink()
                report.batches_removed += 1
        todo.extend((table, batch, business_date, rows) for batch, (business_date, rows) in sorted(wanted.items())
                    if not batch_file(lake, table, business_date, batch, rows).exists())
    for table, batch, business_date, rows in _with_progress(todo, progress):
        _copy(con, f"SELECT * FROM {RAW_SCHEMA}.{_quote(table)} WHERE _batch_id = ?", [batch],
              batch_file(lake, table, business_date, batch, rows))
        report.batches_written += 1
        report.rows_written += rows
        report.written.append((table, batch))
    for table in _tables(con, AUDIT_SCHEMA):
        folder = lake / AUDIT_SCHEMA / table
        _copy(con, f"SELECT * FROM {AUDIT_SCHEMA}.{_quote(table)}", [], folder / "audit.parquet")
        manifest[f"{AUDIT_SCHEMA}.{table}"] = {"location": str(folder), "columns": _columns(con, AUDIT_SCHEMA, table)}
    _remove_empty_dirs(lake / RAW_SCHEMA)
    _write_manifest(lake, manifest)
    report.tables = len(manifest)
    report.seconds = time.perf_counter() - started
    return report


def _with_progress(items: list[tuple[str, int, date, int]], progress: bool) -> Iterable[tuple[str, int, date, int]]:
    if not progress or len(items) < 2:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="lake", unit="batch file", leave=False)


def _remove_empty_dirs(root: Path) -> None:
    for folder in sorted((p for p in root.glob("*/business_date=*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def _write_manifest(lake: Path, manifest: dict[str, dict[str, object]]) -> None:
    target = lake / MANIFEST
    tmp = target.with_name(f".{MANIFEST}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, target)


def read_manifest(lake: Path) -> dict[str, dict[str, object]]:
    """The lake's tables (``schema.table`` -> location and columns); empty when the lake was never written."""
    path = lake / MANIFEST
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def export_warehouse(warehouse: Path, lake: Path, progress: bool = False) -> LakeReport:
    """(Re)build the lake from a DuckDB warehouse file (opened read-only): the same sync, from whatever state."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return sync_lake(con, lake, progress=progress)
    finally:
        con.close()
