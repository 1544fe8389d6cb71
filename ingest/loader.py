"""Load the deliveries of a landing area into the ``raw`` schema of the warehouse, all or nothing per delivery.

A delivery is ``<landing>/<system>/<YYYYMMDD>/``: every file one source system sent for one business date. For each
delivery, in (business date, system order) order:

1. decide from ``audit.deliveries`` whether to attempt it: already loaded with identical files → nothing to do;
   changed files → refused unless ``reload``; older than the system's latest loaded date → refused; an earlier
   delivery of the system failed → held;
2. check every file against its control file and contract (``ingest.filecheck``) — nothing is loaded if one fails;
3. in one transaction: append the valid rows of every file, in foreign-key order, to ``raw.<system>__<extract>``
   with their lineage — one ``INSERT … SELECT … FROM read_csv(…)`` per file, DuckDB's reject tables catching
   malformed records — and find the rows to reject: wrong type or format, missing required value, duplicate primary
   key, orphan foreign key (``ingest.rowsql``); delete those from raw again; check the row accounting and the reject
   ratio of every file; record the rejected rows, the files and the delivery in ``audit`` and commit.
4. A delivery that fails any of this is rolled back and recorded as REJECTED in a transaction of its own, with the
   rejected rows found.

See docs/ingest.md for the rules and the audit tables.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import queue
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
from tqdm import tqdm

from ingest import audit, report
from ingest.audit import Attempt, DeliveryHistory
from ingest.contract import CONTROL_SUFFIX, Contract, ContractSet, load_contracts
from ingest.filecheck import ScannedFile, read_lines, scan_file
from ingest.report import DeliveryOutcome, IngestReport
from ingest.rowsql import (
    READER_ERRORS,
    READER_SCANS,
    REJECTS,
    Source,
    count_problems_sql,
    delete_rejected_sql,
    fix_lines_sql,
    insert_raw_sql,
    key_rejects_sql,
    skip_map_sql,
    sql_str,
    type_rejects_sql,
)

_DATE_DIR = re.compile(r"^\d{8}$")
_REASON_CODES = {
    "MISSING COLUMNS": "FIELD_COUNT",
    "TOO MANY COLUMNS": "FIELD_COUNT",
    "UNQUOTED VALUE": "QUOTING",
    "LINE SIZE OVER MAXIMUM": "LINE_TOO_LONG",
    "INVALID ENCODING": "ENCODING",
}
_MAX_REASONS_SHOWN = 5
_REJECT_COLUMNS = (
    ("file_idx", "INTEGER"), ("line_number", "BIGINT"), ("column_name", "VARCHAR"), ("reason_code", "VARCHAR"),
    ("reason", "VARCHAR"), ("raw_text", "VARCHAR"),
)


@dataclass(frozen=True)
class Delivery:
    system: str
    business_date: date
    path: Path

    @property
    def label(self) -> str:
        return f"{self.system} {self.business_date:%Y-%m-%d}"


@dataclass
class _FileState:
    """One file of a delivery being attempted: its scan and its row accounting."""

    idx: int
    scan: ScannedFile
    inserted: int = 0  # rows appended to raw by the file's INSERT
    deleted: int = 0  # of those, rows deleted again for a duplicate key or an orphan reference
    rows_rejected: int = 0  # distinct lines rejected
    problem: str | None = None

    @property
    def contract(self) -> Contract:
        return self.scan.contract

    @property
    def name(self) -> str:
        return self.scan.data_path.name

    @property
    def header_lines(self) -> int:
        return 1 if self.scan.read_header else 0

    @property
    def rows_loaded(self) -> int:
        return self.inserted - self.deleted

    @property
    def source(self) -> Source:
        scan = self.scan
        return Source(str(scan.read_path), scan.read_header, scan.read_delimiter, scan.read_quote)


class _ChecksFailed(Exception):
    """Rows of the delivery failed its checks; the transaction was rolled back. Carries the rejected rows found."""

    def __init__(self, rows: list[tuple]) -> None:
        super().__init__("checks failed")
        self.rows = rows


@dataclass(frozen=True)
class _Job:
    """A delivery to attempt, with the batch id it was given when it was decided."""

    delivery: Delivery
    fingerprint: str
    replace: int | None
    batch_id: int


class IngestError(RuntimeError):
    """The ingest run cannot start (bad landing path, unknown system)."""


def ingest_landing(landing: Path, warehouse: Path, reload: bool = False, systems: Sequence[str] | None = None,
                   progress: bool = True, workers: int | None = None) -> IngestReport:
    """Load every new delivery in ``landing`` into the DuckDB file ``warehouse`` (created if missing)."""
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        result = ingest_deliveries(con, Path(landing), reload=reload, systems=systems, progress=progress,
                                   workers=workers)
        con.execute("CHECKPOINT")
        return result
    finally:
        con.close()


def ingest_deliveries(con: duckdb.DuckDBPyConnection, landing: Path, *, reload: bool = False,
                      systems: Sequence[str] | None = None, progress: bool = False,
                      contracts: ContractSet | None = None, work_dir: Path | None = None,
                      workers: int | None = None) -> IngestReport:
    """Load every new delivery in ``landing`` through an open connection (which must not be inside a transaction).

    ``work_dir`` holds the temporary UTF-8 copies of GBK and fixed-width files (default: the system temp folder).
    ``workers``: deliveries of one business date that do not depend on each other (systems whose foreign keys do
    not point at each other) load at the same time, each in its own transaction on its own connection; default
    ``min(2, CPUs)``, 1 loads strictly one after the other. The outcome is the same either way, batch ids included.
    """
    started = time.perf_counter()
    contracts = contracts or load_contracts()
    deliveries, warnings = discover(landing, contracts, systems)
    audit.ensure_schema(con, contracts.contracts)
    n_workers = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))
    settings = _BulkLoadSettings(con)
    history = DeliveryHistory.read(con)
    loader = _Loader(con, contracts, history, reload=reload)
    pool = [_Worker(con if i == 0 else con.cursor(), contracts, history, work_dir) for i in range(n_workers)]
    result = IngestReport(warnings=warnings)
    total_files = sum(len(_expected(contracts, d)) for d in deliveries)
    bar = tqdm(total=total_files, unit="file", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    try:
        with ThreadPoolExecutor(max_workers=n_workers) as executor:
            for group in _dependency_groups(deliveries, contracts):
                bar.set_description(f"{group[0].business_date:%Y-%m-%d} {'+'.join(d.system for d in group)}")
                result.outcomes += _run_group(group, loader, pool, executor, bar)
    finally:
        bar.close()
        for i, worker in enumerate(pool):
            worker.cleanup()
            if i:
                worker.con.close()
        settings.restore()
    result.seconds = time.perf_counter() - started
    return result


def _system_levels(contracts: ContractSet) -> list[list[str]]:
    """Systems in waves: each system after every system its foreign keys point at, in ``_systems.yaml`` order."""
    depends = {s: {fk.ref_system for c in contracts.for_system(s) for fk in c.foreign_keys} - {s}
               for s in contracts.systems}
    levels: list[list[str]] = []
    placed: set[str] = set()
    while len(placed) < len(contracts.systems):
        level = [s for s in contracts.systems if s not in placed and depends[s] <= placed]
        if not level:
            raise IngestError(f"the systems' foreign keys form a cycle: {depends}")
        levels.append(level)
        placed.update(level)
    return levels


def _dependency_groups(deliveries: list[Delivery], contracts: ContractSet) -> list[list[Delivery]]:
    """Deliveries in load order, cut into groups that may load at the same time: one date, one level."""
    level_of = {s: i for i, level in enumerate(_system_levels(contracts)) for s in level}
    groups: list[list[Delivery]] = []
    for delivery in deliveries:
        key = (delivery.business_date, level_of[delivery.system])
        if groups and (groups[-1][0].business_date, level_of[groups[-1][0].system]) == key:
            groups[-1].append(delivery)
        else:
            groups.append([delivery])
    return groups


def _run_group(group: list[Delivery], loader: _Loader, pool: list[_Worker], executor: ThreadPoolExecutor,
               bar: tqdm) -> list[DeliveryOutcome]:
    """Decide every delivery of the group in order (batch ids too), then attempt the ones to load, concurrently."""
    decided: list[DeliveryOutcome | _Job] = []
    for delivery in group:
        decision = loader.decide(delivery)
        if isinstance(decision, DeliveryOutcome):
            bar.update(len(_expected(loader.contracts, delivery)))
        decided.append(decision)
    jobs = [d for d in decided if isinstance(d, _Job)]
    if len(jobs) <= 1 or len(pool) == 1:
        done = {id(job): pool[0].attempt(job, bar) for job in jobs}
    else:
        free: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        for worker in pool:
            free.put(worker)

        def run(job: _Job) -> DeliveryOutcome:
            worker = free.get()
            try:
                return worker.attempt(job, bar)
            finally:
                free.put(worker)

        futures = {id(job): executor.submit(run, job) for job in jobs}
        done = {key: future.result() for key, future in futures.items()}
    return [done[id(d)] if isinstance(d, _Job) else d for d in decided]


class _BulkLoadSettings:
    """Connection settings for the run, restored afterwards.

    - DuckDB draws its own progress bar on stdout for long statements; ours is the one per file.
    - By default DuckDB checkpoints whenever the write-ahead log passes 16 MB, which during a bulk load means
      rewriting the growing tail of every raw table again and again (it roughly doubled the load time of a month of
      deliveries). A run checkpoints far less often; ``ingest_landing`` checkpoints once at the end.
    """

    WAL_AUTOCHECKPOINT = "1GB"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.saved = con.execute(
            "SELECT current_setting('enable_progress_bar'), current_setting('wal_autocheckpoint')").fetchone()
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET wal_autocheckpoint = '{self.WAL_AUTOCHECKPOINT}'")

    def restore(self) -> None:
        progress, wal = self.saved  # type: ignore[misc]
        self.con.execute(f"SET enable_progress_bar = {'true' if progress else 'false'}")
        self.con.execute(f"SET wal_autocheckpoint = {sql_str(str(wal))}")


def discover(landing: Path, contracts: ContractSet, systems: Sequence[str] | None) -> tuple[list[Delivery], list[str]]:
    """Deliveries under ``landing`` in load order, and warnings about folders that are not deliveries."""
    landing = landing.resolve()
    if not landing.is_dir():
        raise IngestError(f"landing area {landing} does not exist or is not a folder")
    wanted = list(contracts.systems)
    if systems:
        unknown = [s for s in systems if s not in contracts.systems]
        if unknown:
            raise IngestError(f"unknown system(s) {', '.join(unknown)}; the contracts define {', '.join(wanted)}")
        wanted = [s for s in wanted if s in systems]
    order = {s: i for i, s in enumerate(contracts.systems)}
    deliveries: list[Delivery] = []
    warnings: list[str] = []
    for system in wanted:
        system_dir = landing / system
        if not system_dir.is_dir():
            continue
        for entry in sorted(system_dir.iterdir()):
            if entry.name.startswith("."):
                continue
            day = _parse_day(entry.name) if entry.is_dir() and _DATE_DIR.match(entry.name) else None
            if day is None:
                warnings.append(f"{entry}: not a delivery folder (<system>/<YYYYMMDD>/), ignored")
                continue
            deliveries.append(Delivery(system, day, entry))
    deliveries.sort(key=lambda d: (d.business_date, order[d.system]))
    return deliveries, warnings


def _parse_day(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _expected(contracts: ContractSet, delivery: Delivery) -> list[Contract]:
    return [c for c in contracts.load_order(delivery.system) if c.delivered_on(delivery.business_date)]


def _entries(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if not p.name.startswith("."))


def fingerprint(path: Path) -> str:
    """Names, sizes and modification times of a delivery's files: equal fingerprints mean untouched files."""
    digest = hashlib.sha256()
    for entry in _entries(path):
        st = entry.stat()
        kind = "d" if entry.is_dir() else "f"
        digest.update(f"{entry.name}\0{kind}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _short(text: str | None, limit: int = 300) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Loader:
    """Decides, in load order, what to do with each delivery; records refusals. Runs on the calling thread."""

    def __init__(self, con: duckdb.DuckDBPyConnection, contracts: ContractSet, history: DeliveryHistory,
                 reload: bool) -> None:
        self.con = con
        self.contracts = contracts
        self.history = history
        self.reload = reload

    def decide(self, delivery: Delivery) -> DeliveryOutcome | _Job:
        system, day = delivery.system, delivery.business_date
        fp = fingerprint(delivery.path)
        loaded = self.history.loaded(system, day)
        last = self.history.last(system, day)
        if loaded is not None:
            changes = self._changes_since(loaded, delivery, fp)
            if not changes:
                return DeliveryOutcome(system, day, report.ALREADY_LOADED, f"already loaded as batch {loaded.batch_id}",
                                       batch_id=loaded.batch_id, recorded=False)
            if not self.reload:
                return self._refuse(delivery, fp, audit.CHANGED_REDELIVERY, report.REFUSED,
                                    f"already loaded as batch {loaded.batch_id}, and the files differ now "
                                    f"({'; '.join(changes)}); use --reload to replace that batch")
            if _unchanged_failure(last, fp):
                return self._still_rejected(delivery, last)  # type: ignore[arg-type]
            return _Job(delivery, fp, loaded.batch_id, self.history.take_batch_id())
        latest = self.history.latest_loaded_date(system)
        if latest is not None and latest > day:
            return self._refuse(delivery, fp, audit.OUT_OF_ORDER, report.REFUSED,
                                f"out of order: {system} is already loaded up to {latest:%Y-%m-%d}, this delivery is "
                                f"for {day:%Y-%m-%d} (an older date can only replace a loaded one, with --reload)")
        blocking = self.history.blocking(system, day)
        if blocking is not None:
            return self._refuse(delivery, fp, audit.HELD, report.HELD,
                                f"earlier delivery {system} {blocking.business_date:%Y-%m-%d} not loaded "
                                f"(batch {blocking.batch_id} rejected); deliveries of {system} load in date order")
        if _unchanged_failure(last, fp):
            return self._still_rejected(delivery, last)  # type: ignore[arg-type]
        return _Job(delivery, fp, None, self.history.take_batch_id())

    def _changes_since(self, loaded: Attempt, delivery: Delivery, fp: str) -> list[str]:
        """What differs between the delivery folder and the files of batch ``loaded`` (empty: identical)."""
        if loaded.fingerprint == fp:
            return []
        recorded: dict[str, str | None] = {}
        for name, md5, control_name, control_md5 in self.con.execute(
            "SELECT file_name, md5, control_file_name, control_file_md5 FROM audit.delivery_files WHERE batch_id = ?",
            [loaded.batch_id],
        ).fetchall():
            recorded[name] = md5
            if control_name:
                recorded[control_name] = control_md5
        present = {p.name: p for p in _entries(delivery.path)}
        changes = [f"{n} added" for n in sorted(set(present) - set(recorded))]
        changes += [f"{n} removed" for n in sorted(set(recorded) - set(present))]
        for name in sorted(set(present) & set(recorded)):
            path = present[name]
            if path.is_dir() or hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() != recorded[name]:
                changes.append(f"{name} changed")
        return changes

    def _still_rejected(self, delivery: Delivery, last: Attempt) -> DeliveryOutcome:
        return DeliveryOutcome(delivery.system, delivery.business_date, report.REJECTED,
                               f"unchanged since batch {last.batch_id} rejected it: {_short(last.reason)}",
                               batch_id=last.batch_id, recorded=False)

    def _refuse(self, delivery: Delivery, fp: str, code: str, outcome: str, reason: str) -> DeliveryOutcome:
        system, day = delivery.system, delivery.business_date
        last = self.history.last(system, day)
        if (last is not None and last.status == audit.REJECTED and last.reason_code == code
                and last.reason == reason and last.fingerprint == fp):
            return DeliveryOutcome(system, day, outcome, reason, batch_id=last.batch_id, recorded=False)
        batch_id = self.history.take_batch_id()
        now = _now()
        self.con.execute("BEGIN TRANSACTION")
        try:
            audit.insert_delivery(self.con, {
                "batch_id": batch_id, "system": system, "business_date": day, "status": audit.REJECTED,
                "reason_code": code, "reason": reason, "started_at": now, "finished_at": now,
                "duration_seconds": 0.0, "reload": self.reload, "fingerprint": fp,
                "delivery_path": str(delivery.path),
            })
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.history.add(Attempt(batch_id, system, day, audit.REJECTED, code, reason, fp))
        return DeliveryOutcome(system, day, outcome, reason, batch_id=batch_id)



class _Worker:
    """Attempts deliveries on its own connection (its own transactions and scratch tables)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, contracts: ContractSet, history: DeliveryHistory,
                 work_dir: Path | None) -> None:
        self.con = con
        self.contracts = contracts
        self.history = history
        self.work_dir = work_dir
        self.skip_maps: set[str] = set()
        self.rejects_pending = False  # the rejects table holds rows (of the delivery being attempted)
        con.execute("SET enable_progress_bar = false")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {REJECTS} (file_idx INTEGER, line_number BIGINT, column_name VARCHAR, "
            f"reason_code VARCHAR, reason VARCHAR, raw_text VARCHAR)"
        )

    # ---- attempting -------------------------------------------------------------------------------------------

    def attempt(self, job: _Job, bar: tqdm) -> DeliveryOutcome:
        delivery, fp, replace, batch_id = job.delivery, job.fingerprint, job.replace, job.batch_id
        system, day = delivery.system, delivery.business_date
        started_at, t0 = _now(), time.perf_counter()
        base = {"batch_id": batch_id, "system": system, "business_date": day, "started_at": started_at,
                "reload": replace is not None, "replaced_batch_id": replace, "fingerprint": fp,
                "delivery_path": str(delivery.path)}
        expected = _expected(self.contracts, delivery)
        files: list[_FileState] = []
        unexpected: list[Path] = []
        self._clear_rejects()
        tmp = Path(tempfile.mkdtemp(prefix="crmwh-ingest-", dir=self.work_dir))
        try:
            try:
                for idx, contract in enumerate(expected):
                    scan = scan_file(contract, day, delivery.path / contract.file_name(day),
                                     delivery.path / contract.control_file_name(day), tmp)
                    files.append(_FileState(idx, scan, problem=scan.problem))
                    bar.update(1)
                expected_names = {n for c in expected for n in (c.file_name(day), c.control_file_name(day))}
                unexpected = [p for p in _entries(delivery.path) if p.name not in expected_names]
            except OSError as exc:  # unreadable landing files: reject, say why, go on
                reason = f"checking failed: {type(exc).__name__}: {exc}"
                self._record_rejection(base, files, unexpected, reason, audit.ERROR, t0)
                return self._outcome(delivery, report.REJECTED, reason, batch_id, files, t0, loaded=False)
            problems = [f.problem for f in files if f.problem]
            problems += [self._unexpected_reason(delivery, p) for p in unexpected]
            if problems:
                reason = _delivery_reason(problems, len(expected) + len(unexpected))
                self._record_rejection(base, files, unexpected, reason, audit.CHECK_FAILED, t0)
                return self._outcome(delivery, report.REJECTED, reason, batch_id, files, t0, loaded=False)
            try:
                self._load(base, files, replace, t0)
            except _ChecksFailed as failed:
                self._keep_rejects(failed.rows)
                reason = _delivery_reason([f.problem for f in files if f.problem], len(expected))
                self._record_rejection(base, files, [], reason, audit.CHECK_FAILED, t0)
                return self._outcome(delivery, report.REJECTED, reason, batch_id, files, t0, loaded=False)
            except Exception as exc:  # _load rolled back; record the rejection on its own
                self._clear_rejects()
                for f in files:
                    f.rows_rejected = 0
                reason = f"load failed and was rolled back: {type(exc).__name__}: {exc}"
                self._record_rejection(base, files, [], reason, audit.ERROR, t0)
                return self._outcome(delivery, report.REJECTED, reason, batch_id, files, t0, loaded=False)
            rejected = sum(f.rows_rejected for f in files)
            note = f"{rejected} rows rejected (see audit.rejected_rows)" if rejected else None
            outcome = self._outcome(delivery, report.LOADED, note, batch_id, files, t0, loaded=True)
            outcome.replaced_batch_id = replace
            return outcome
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _clear_rejects(self) -> None:
        if self.rejects_pending:
            self.con.execute(f"DELETE FROM {REJECTS}")
            self.rejects_pending = False

    def _keep_rejects(self, rows: list[tuple]) -> None:
        """Put back the rejected rows a rolled-back transaction took with it (temp tables are transactional)."""
        self._clear_rejects()
        if rows:
            self._insert_rows(REJECTS, _REJECT_COLUMNS, rows)
            self.rejects_pending = True

    def _unexpected_reason(self, delivery: Delivery, path: Path) -> str:
        system, day = delivery.system, delivery.business_date
        if path.is_dir():
            return f"{path.name}: unexpected folder inside the delivery"
        for contract in self.contracts.for_system(system):
            data_name = path.name
            if path.name.endswith(CONTROL_SUFFIX):
                data_name = path.name.removesuffix(CONTROL_SUFFIX) + "." + contract.file.rsplit(".", 1)[-1]
            match = self.contracts.by_file_name(system, data_name)
            if match is None or match[0] is not contract:
                continue
            if match[1] != day:
                return (f"{path.name}: unexpected file: it is for business date {match[1]:%Y%m%d}, "
                        f"the delivery for {day:%Y%m%d}")
            return f"{path.name}: unexpected file: {system} delivers {contract.extract} only at month end"
        return f"{path.name}: unexpected file (no contract of {system} describes it)"

    def _outcome(self, delivery: Delivery, outcome: str, reason: str | None, batch_id: int,
                 files: list[_FileState], t0: float, loaded: bool) -> DeliveryOutcome:
        return DeliveryOutcome(
            delivery.system, delivery.business_date, outcome, reason, batch_id=batch_id, files=len(files),
            rows_loaded=sum(f.rows_loaded for f in files) if loaded else 0,
            rows_rejected=sum(f.rows_rejected for f in files), seconds=time.perf_counter() - t0,
        )

    # ---- loading ----------------------------------------------------------------------------------------------

    def _load(self, base: dict, files: list[_FileState], replace: int | None, t0: float) -> None:
        """Append every file and run the row checks in one transaction; commit, or roll back and raise."""
        stamp = _now().isoformat(sep=" ")
        exclude = replace if replace is not None else -1
        self.con.execute("BEGIN TRANSACTION")
        try:
            if replace is not None:
                for contract in self.contracts.for_system(base["system"]):
                    self.con.execute(f"DELETE FROM {audit.raw_table_ref(contract)} WHERE _batch_id = ?", [replace])
            for f in files:
                self._append(f, base, stamp)
            self._check_keys(files, base["batch_id"], exclude)
            self._count_rejects(files)
            for f in files:
                f.problem = self._accounting_problem(f)
            if self.rejects_pending:
                self._fill_raw_text(files)
            if any(f.problem for f in files):
                rows = (self.con.execute(f"SELECT {', '.join(c for c, _ in _REJECT_COLUMNS)} FROM {REJECTS}").fetchall()
                        if self.rejects_pending else [])
                self.con.execute("ROLLBACK")
                self.rejects_pending = False
                raise _ChecksFailed(rows)
            self._insert_rejected_rows(base, files)
            audit.insert_files(self.con, self._file_rows(base, files, [], loaded=True))
            audit.insert_delivery(self.con, self._delivery_row(base, files, audit.LOADED, None, None, t0, True))
            if replace is not None:
                self.con.execute(
                    "UPDATE audit.deliveries SET status = ?, superseded_by_batch_id = ?, superseded_at = ? "
                    "WHERE batch_id = ?", [audit.SUPERSEDED, base["batch_id"], _now(), replace])
                self.con.execute("UPDATE audit.delivery_files SET status = ? WHERE batch_id = ?",
                                 [audit.FILE_SUPERSEDED, replace])
            self.con.execute("COMMIT")
        except _ChecksFailed:
            raise
        except BaseException:
            self.con.execute("ROLLBACK")
            self.rejects_pending = False
            raise
        if replace is not None:
            self.history.supersede(replace)
        self.history.add(Attempt(base["batch_id"], base["system"], base["business_date"], audit.LOADED, None, None,
                                 base["fingerprint"]))

    def _append(self, f: _FileState, base: dict, stamp: str) -> None:
        """Append the file's valid rows to raw; collect the lines that were set aside, and why."""
        scan = f.scan
        if scan.data_lines == 0:
            return
        sql = insert_raw_sql(f.contract, f.source, base["batch_id"], f"{base['business_date']:%Y-%m-%d}", f.name,
                             stamp)
        f.inserted = int(self.con.execute(sql).fetchone()[0])  # type: ignore[index]
        skipped = [(f.idx, s.line_number, s.column_name, s.reason_code, s.reason, s.raw_text) for s in scan.skipped]
        missing = scan.data_lines - f.inserted - len({s.line_number for s in scan.skipped})
        if missing > 0:
            reader = self._reader_rejects(f)
            skipped += reader
            missing -= len({r[1] for r in reader})
        if not skipped and missing <= 0:
            return
        skip_map = None
        if skipped:
            self._insert_rows(REJECTS, _REJECT_COLUMNS, skipped)
            self.rejects_pending = True
            skip_map = f"_crmwh_skip_{f.idx}"
            self.skip_maps.add(skip_map)
            self.con.execute(skip_map_sql(skip_map, f.idx, f.header_lines))
            if f.inserted:
                self.con.execute(fix_lines_sql(f.contract, base["batch_id"], f.name, f.header_lines, skip_map))
        if missing > 0:
            # Records the reader kept but whose fields are invalid: read the file again for the reasons.
            sql = type_rejects_sql(f.contract, f.source, f.idx, skip_map)
            if sql:
                self.con.execute(sql)
                self.rejects_pending = True

    def _reader_rejects(self, f: _FileState) -> list[tuple]:
        """Records DuckDB's reader set aside in the file's scan (the latest), in original line numbers."""
        rows = self.con.execute(
            f"SELECT line, column_name, error_type::VARCHAR, error_message, csv_line FROM {READER_ERRORS} "
            f"WHERE scan_id = (SELECT max(scan_id) FROM {READER_SCANS}) ORDER BY line"
        ).fetchall()
        fixed = f.contract.format.kind == "fixed_width"
        skipped_lines = sorted({s.line_number for s in f.scan.skipped})
        out: list[tuple] = []
        seen: set[tuple[int, str]] = set()
        for line, column, error_type, message, csv_line in rows:
            if fixed:
                # The reader saw the converted file, which lacks the records the scan set aside.
                line = _original_line(int(line), skipped_lines)
            code = _REASON_CODES.get(error_type, "PARSE")
            if (line, code) in seen:
                continue
            seen.add((line, code))
            reason = f"wrong number of fields: {message}" if code == "FIELD_COUNT" else message
            raw = None if fixed else (csv_line or "").strip("\r\n")
            out.append((f.idx, int(line), column, code, reason, raw))
        return out

    def _check_keys(self, files: list[_FileState], batch_id: int, exclude: int) -> None:
        """Duplicate primary keys and orphan foreign keys among the rows just appended; rejected rows leave raw."""
        refs = {fk.ref_key: self.contracts.get(fk.ref_key) for f in files for fk in f.contract.foreign_keys}
        checked = [f for f in files if f.inserted and (f.contract.primary_key or f.contract.foreign_keys)]
        if not checked:
            return
        quick = count_problems_sql([(f.contract, f.idx, f.name) for f in checked], refs, batch_id, exclude)
        if not any(n for _, n in self.con.execute(quick).fetchall()):
            return
        # Exactly, file by file in load order, so that a row referring to a row rejected before it is an orphan too.
        for f in checked:
            found = 0
            for sql in key_rejects_sql(f.contract, refs, f.idx, batch_id, f.name, exclude):
                found += int(self.con.execute(sql).fetchone()[0])  # type: ignore[index]
            if found:
                self.rejects_pending = True
                sql = delete_rejected_sql(f.contract, f.idx, batch_id, f.name)
                f.deleted = int(self.con.execute(sql).fetchone()[0])  # type: ignore[index]

    def _count_rejects(self, files: list[_FileState]) -> None:
        if not self.rejects_pending:
            return
        counts = dict(self.con.execute(
            f"SELECT file_idx, count(DISTINCT line_number) FROM {REJECTS} GROUP BY ALL").fetchall())
        for f in files:
            f.rows_rejected = int(counts.get(f.idx, 0))

    def _accounting_problem(self, f: _FileState) -> str | None:
        name = f.name
        expected = f.scan.control.record_count if f.scan.control else 0
        if f.rows_loaded + f.rows_rejected != expected:
            return (f"{name}: row accounting does not balance: {f.rows_loaded} loaded + {f.rows_rejected} rejected "
                    f"≠ {expected} records in the control file (a quoted field spanning lines?)")
        allowed = math.floor(f.contract.max_reject_ratio * expected + 1e-9)
        if f.rows_rejected > allowed:
            reasons = self.con.execute(
                f"SELECT reason_code, count(DISTINCT line_number) AS n FROM {REJECTS} WHERE file_idx = ? "
                f"GROUP BY ALL ORDER BY n DESC, reason_code LIMIT 3", [f.idx]
            ).fetchall()
            common = ", ".join(f"{code} ({n})" for code, n in reasons)
            return (f"{name}: {f.rows_rejected} of {expected} records rejected "
                    f"({f.rows_rejected / expected:.2%}), more than the contract allows "
                    f"(max_reject_ratio {f.contract.max_reject_ratio:.2%}: at most {allowed}); most common: {common}")
        return None

    def _fill_raw_text(self, files: list[_FileState]) -> None:
        wanted = self.con.execute(
            f"SELECT file_idx, list(DISTINCT line_number) FROM {REJECTS} WHERE raw_text IS NULL GROUP BY ALL"
        ).fetchall()
        if not wanted:
            return
        by_idx = {f.idx: f for f in files}
        rows = []
        for idx, lines in wanted:
            scan = by_idx[idx].scan
            texts = read_lines(scan.data_path, set(lines), scan.contract.format.python_encoding)
            rows += [(idx, line, text) for line, text in texts.items()]
        self.con.execute("CREATE OR REPLACE TEMP TABLE _crmwh_raw_text "
                         "(file_idx INTEGER, line_number BIGINT, raw_text VARCHAR)")
        self._insert_rows("_crmwh_raw_text", (("file_idx", "INTEGER"), ("line_number", "BIGINT"),
                                              ("raw_text", "VARCHAR")), rows)
        self.con.execute(
            f"UPDATE {REJECTS} r SET raw_text = t.raw_text FROM _crmwh_raw_text t "
            f"WHERE r.file_idx = t.file_idx AND r.line_number = t.line_number AND r.raw_text IS NULL"
        )
        self.con.execute("DROP TABLE _crmwh_raw_text")

    def _insert_rows(self, table: str, columns: tuple[tuple[str, str], ...], rows: list[tuple]) -> None:
        """Append Python rows to a table through a newline-delimited JSON file (exact for any text, NULL included)."""
        if not rows:
            return
        fd, name = tempfile.mkstemp(prefix="crmwh-rows-", suffix=".ndjson", dir=self.work_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                names = [c for c, _ in columns]
                for row in rows:
                    out.write(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) + "\n")
            spec = "{" + ", ".join(f"{sql_str(c)}: {sql_str(t)}" for c, t in columns) + "}"
            self.con.execute(
                f"INSERT INTO {table} SELECT * FROM read_json({sql_str(name)}, columns = {spec}, "
                f"format = 'newline_delimited')"
            )
        finally:
            os.unlink(name)

    # ---- recording --------------------------------------------------------------------------------------------

    def _file_rows(self, base: dict, files: list[_FileState], unexpected: list[Path], loaded: bool) -> list[dict]:
        rows = []
        for f in files:
            scan = f.scan
            control = scan.control
            status = audit.FILE_REJECTED if f.problem else audit.FILE_NOT_LOADED
            if loaded:
                status = audit.FILE_LOADED
            rows.append({
                "batch_id": base["batch_id"], "system": base["system"], "business_date": base["business_date"],
                "extract": f.contract.extract, "file_name": scan.data_path.name, "byte_size": scan.byte_size,
                "md5": scan.md5, "control_file_name": scan.control_path.name,
                "control_file_md5": scan.control_file_md5,
                "control_record_count": control.record_count if control else None,
                "control_byte_size": control.byte_size if control else None,
                "control_md5": control.md5 if control else None,
                "rows_read": scan.data_lines if scan.counted else None,
                "rows_loaded": f.rows_loaded if loaded else 0,
                "rows_rejected": f.rows_rejected, "status": status,
                "reason": f.problem if f.problem else (None if loaded else "not loaded: the delivery was rejected"),
            })
        for path in unexpected:
            rows.append({
                "batch_id": base["batch_id"], "system": base["system"], "business_date": base["business_date"],
                "extract": None, "file_name": path.name,
                "byte_size": path.stat().st_size if path.is_file() else None,
                "md5": hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() if path.is_file() else None,
                "status": audit.FILE_REJECTED, "reason": "unexpected file in the delivery",
            })
        return rows

    def _delivery_row(self, base: dict, files: list[_FileState], status: str, code: str | None,
                      reason: str | None, t0: float, loaded: bool) -> dict:
        finished = _now()
        return {
            **base, "status": status, "reason_code": code, "reason": reason, "files": len(files),
            "control_records": sum(f.scan.control.record_count for f in files if f.scan.control),
            "rows_read": sum(f.scan.data_lines for f in files if f.scan.counted),
            "rows_loaded": sum(f.rows_loaded for f in files) if loaded else 0,
            "rows_rejected": sum(f.rows_rejected for f in files), "finished_at": finished,
            "duration_seconds": round(time.perf_counter() - t0, 3),
        }

    def _insert_rejected_rows(self, base: dict, files: list[_FileState]) -> None:
        if not self.rejects_pending:
            return
        extract = "CASE file_idx " + " ".join(f"WHEN {f.idx} THEN {sql_str(f.contract.extract)}" for f in files)
        name = "CASE file_idx " + " ".join(f"WHEN {f.idx} THEN {sql_str(f.scan.data_path.name)}" for f in files)
        self.con.execute(
            f"INSERT INTO audit.rejected_rows SELECT ?, ?, ?, {extract} END, {name} END, line_number, column_name, "
            f"reason_code, reason, raw_text FROM {REJECTS} "
            f"ORDER BY file_idx, line_number, reason_code, column_name NULLS FIRST",
            [base["batch_id"], base["system"], base["business_date"]],
        )

    def _record_rejection(self, base: dict, files: list[_FileState], unexpected: list[Path], reason: str,
                          code: str, t0: float) -> None:
        self.con.execute("BEGIN TRANSACTION")
        try:
            self._insert_rejected_rows(base, files)
            audit.insert_files(self.con, self._file_rows(base, files, unexpected, loaded=False))
            audit.insert_delivery(self.con, self._delivery_row(base, files, audit.REJECTED, code, reason, t0, False))
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.history.add(Attempt(base["batch_id"], base["system"], base["business_date"], audit.REJECTED, code,
                                 reason, base["fingerprint"]))

    def cleanup(self) -> None:
        for table in [*sorted(self.skip_maps), REJECTS, READER_ERRORS, READER_SCANS]:
            self.con.execute(f"DROP TABLE IF EXISTS {table}")


def _unchanged_failure(last: Attempt | None, fp: str) -> bool:
    return (last is not None and last.status == audit.REJECTED and last.reason_code == audit.CHECK_FAILED
            and last.fingerprint == fp)


def _original_line(converted_line: int, skipped_lines: list[int]) -> int:
    """Line in the original file of the ``converted_line``-th record kept in a converted fixed-width file."""
    line = converted_line
    for s in skipped_lines:
        if s <= line:
            line += 1
        else:
            break
    return line


def _delivery_reason(problems: list[str], total_files: int) -> str:
    shown = problems[:_MAX_REASONS_SHOWN]
    more = f"; and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
    return f"{len(problems)} of {total_files} files failed: " + "; ".join(shown) + more
