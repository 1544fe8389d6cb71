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

That is the rule, and ``method="one_at_a_time"`` is its literal form (``ingest.attempt``). By default a run applies it
to all its pending deliveries together, set-based (``ingest.batch``): one read per extract across its pending files,
the checks as set operations over the batch; the outcome is the same, delivery by delivery.

See docs/ingest.md for the rules and the audit tables.
"""

from __future__ import annotations

import os
import queue
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
from tqdm import tqdm

from contracts.contract import ContractSet, load_contracts
from ingest import audit, report
from ingest.attempt import DeliveryAttempt, Job, now, short
from ingest.audit import Attempt, DeliveryHistory
from ingest.batch import BatchLoader
from ingest.landing import (
    Delivery,
    IngestError,
    content_md5,
    discover,
    entries,
    expected_contracts,
    fingerprint,
    regular_size,
    shown_name,
)
from ingest.report import DeliveryOutcome, IngestReport
from ingest.rowsql import sql_str

__all__ = ["BATCH", "ONE_AT_A_TIME", "Delivery", "IngestError", "ReloadScope", "discover", "fingerprint",
           "ingest_deliveries", "ingest_landing"]

BATCH = "batch"
ONE_DAY = timedelta(days=1)
ONE_AT_A_TIME = "one_at_a_time"


@dataclass(frozen=True)
class ReloadScope:
    """Which loaded deliveries a run may replace when their files changed: those of ``day``, of ``systems`` (all
    when empty) — `crmwh build --reload DATE [--system S]`. ``reload=True`` replaces any changed delivery."""

    day: date
    systems: tuple[str, ...] = ()

    def covers(self, system: str, day: date) -> bool:
        return day == self.day and (not self.systems or system in self.systems)

    def check(self, contracts: ContractSet) -> None:
        unknown = [s for s in self.systems if s not in contracts.systems]
        if unknown:
            raise IngestError(f"unknown system(s) {', '.join(unknown)}; the contracts define "
                              f"{', '.join(contracts.systems)}")


Reload = bool | ReloadScope


def ingest_landing(landing: Path, warehouse: Path, reload: Reload = False, systems: Sequence[str] | None = None,
                   progress: bool = True, workers: int | None = None, method: str = "batch") -> IngestReport:
    """Load every new delivery in ``landing`` into the DuckDB file ``warehouse`` (created if missing)."""
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        result = ingest_deliveries(con, Path(landing), reload=reload, systems=systems, progress=progress,
                                   workers=workers, method=method)
        con.execute("CHECKPOINT")
        return result
    finally:
        con.close()


def ingest_deliveries(con: duckdb.DuckDBPyConnection, landing: Path, *, reload: Reload = False,
                      systems: Sequence[str] | None = None, progress: bool = False,
                      contracts: ContractSet | None = None, work_dir: Path | None = None,
                      workers: int | None = None, method: str = BATCH) -> IngestReport:
    """Load every new delivery in ``landing`` through an open connection (which must not be inside a transaction).

    ``work_dir`` holds the temporary UTF-8 copies of GBK and fixed-width files (default: the system temp folder).
    ``method``: ``"batch"`` (default) checks and loads the pending deliveries together, set-based
    (``ingest.batch``); ``"one_at_a_time"`` attempts them one by one, each in its own transaction — the reference
    the batch is tested against. The outcome is the same either way: rows, audit records, batch ids.
    ``workers``: threads checking files (batch), or deliveries of one business date that do not depend on each other
    loading at the same time, each on its own connection (one at a time); default ``min(2, CPUs)``.
    """
    if method not in (BATCH, ONE_AT_A_TIME):
        raise ValueError(f"method must be {BATCH!r} or {ONE_AT_A_TIME!r}, not {method!r}")
    started = time.perf_counter()
    contracts = contracts or load_contracts()
    if isinstance(reload, ReloadScope):
        reload.check(contracts)
    deliveries, warnings = discover(landing, contracts, systems)
    audit.ensure_schema(con, contracts.contracts)
    n_workers = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))
    settings = _BulkLoadSettings(con)
    history = DeliveryHistory.read(con)
    result = IngestReport(warnings=warnings)
    total_files = sum(len(expected_contracts(contracts, d)) for d in deliveries)
    bar = tqdm(total=total_files, unit="file", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    try:
        if method == BATCH:
            def one_at_a_time(part: list[Delivery]) -> list[DeliveryOutcome]:
                return _one_at_a_time(con, part, contracts, history, reload, work_dir, 1, bar)

            batch = BatchLoader(con, contracts, history,
                                lambda trial: _Loader(con, contracts, trial, reload=reload, record=False).decide,
                                one_at_a_time, work_dir, n_workers, bar)
            try:
                result.outcomes = batch.run(deliveries)
            finally:
                batch.close()
        else:
            result.outcomes = _one_at_a_time(con, deliveries, contracts, history, reload, work_dir, n_workers, bar)
    finally:
        bar.close()
        settings.restore()
    result.seconds = time.perf_counter() - started
    return result


def _one_at_a_time(con: duckdb.DuckDBPyConnection, deliveries: list[Delivery], contracts: ContractSet,
                   history: DeliveryHistory, reload: Reload, work_dir: Path | None, n_workers: int,
                   bar: tqdm) -> list[DeliveryOutcome]:
    loader = _Loader(con, contracts, history, reload=reload)
    pool = [DeliveryAttempt(con if i == 0 else con.cursor(), contracts, history, work_dir) for i in range(n_workers)]
    outcomes: list[DeliveryOutcome] = []
    try:
        with ThreadPoolExecutor(max_workers=n_workers) as executor:
            for group in _dependency_groups(deliveries, contracts):
                bar.set_description(f"{group[0].business_date:%Y-%m-%d} {'+'.join(d.system for d in group)}")
                outcomes += _run_group(group, loader, pool, executor, bar)
    finally:
        for i, worker in enumerate(pool):
            worker.cleanup()
            if i:
                worker.con.close()
    return outcomes


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


def _run_group(group: list[Delivery], loader: _Loader, pool: list[DeliveryAttempt], executor: ThreadPoolExecutor,
               bar: tqdm) -> list[DeliveryOutcome]:
    """Decide every delivery of the group in order (batch ids too), then attempt the ones to load, concurrently."""
    decided: list[DeliveryOutcome | Job] = []
    for delivery in group:
        decision = loader.decide(delivery)
        if isinstance(decision, DeliveryOutcome):
            bar.update(len(expected_contracts(loader.contracts, delivery)))
        decided.append(decision)
    jobs = [d for d in decided if isinstance(d, Job)]
    if len(jobs) <= 1 or len(pool) == 1:
        done = {id(job): pool[0].attempt(job, bar) for job in jobs}
    else:
        free: queue.SimpleQueue[DeliveryAttempt] = queue.SimpleQueue()
        for worker in pool:
            free.put(worker)

        def run(job: Job) -> DeliveryOutcome:
            worker = free.get()
            try:
                return worker.attempt(job, bar)
            finally:
                free.put(worker)

        futures = {id(job): executor.submit(run, job) for job in jobs}
        done = {key: future.result() for key, future in futures.items()}
    return [done[id(d)] if isinstance(d, Job) else d for d in decided]


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


class _Loader:
    """Decides, in load order, what to do with each delivery; records refusals. Runs on the calling thread."""

    def __init__(self, con: duckdb.DuckDBPyConnection, contracts: ContractSet, history: DeliveryHistory,
                 reload: Reload, record: bool = True) -> None:
        self.con = con
        self.contracts = contracts
        self.history = history
        self.reload = reload
        self.record = record  # False: refusals are left in ``DeliveryOutcome.audit_row`` for the caller to write
        self.refers_to = {s: sorted({fk.ref_system for c in contracts.for_system(s) for fk in c.foreign_keys} - {s},
                                    key=contracts.systems.index) for s in contracts.systems}

    def decide(self, delivery: Delivery) -> DeliveryOutcome | Job:
        system, day = delivery.system, delivery.business_date
        loaded = self.history.loaded(system, day)
        last = self.history.last(system, day)
        if loaded is not None:
            changes = self._changes_since(loaded, delivery)
            if not changes:
                return DeliveryOutcome(system, day, report.ALREADY_LOADED, f"already loaded as batch {loaded.batch_id}",
                                       batch_id=loaded.batch_id, recorded=False)
            fp = fingerprint(delivery.path)
            if not self._reloads(delivery):
                return self._refuse(delivery, fp, audit.CHANGED_REDELIVERY, report.REFUSED,
                                    f"already loaded as batch {loaded.batch_id}, and the files differ now "
                                    f"({'; '.join(changes)}); use --reload to replace that batch")
            if _unchanged_failure(last, fp):
                return self._still_rejected(delivery, last)  # type: ignore[arg-type]
            return Job(delivery, fp, loaded.batch_id, self.history.take_batch_id())
        withdrawn = self.history.withdrawn(system, day)
        if withdrawn is not None and withdrawn.reason_code == audit.WITHDRAWN_BY_OPERATOR:
            fp = fingerprint(delivery.path)
            if not self._changes_since_withdrawal(withdrawn, delivery, fp):
                return self._refuse(delivery, fp, audit.WITHDRAWN_BY_OPERATOR, report.REFUSED,
                                    f"withdrawn by the operator (batch {withdrawn.batch_id}: {withdrawn.reason}); "
                                    f"these files are the withdrawn ones: a corrected delivery of {system} "
                                    f"{day:%Y%m%d} (changed files) loads")
        latest = self.history.latest_loaded_date(system)
        if latest is not None and latest > day:
            return self._refuse(delivery, fingerprint(delivery.path), audit.OUT_OF_ORDER, report.REFUSED,
                                f"out of order: {system} is already loaded up to {latest:%Y-%m-%d}, this delivery is "
                                f"for {day:%Y-%m-%d} (an older date can only replace a loaded one, with --reload)")
        blocking = self.history.blocking(system, day)
        if blocking is not None:
            return self._refuse(delivery, fingerprint(delivery.path), audit.HELD, report.HELD,
                                f"earlier delivery {system} {blocking.business_date:%Y-%m-%d} not loaded "
                                f"(batch {blocking.batch_id} rejected); deliveries of {system} load in date order")
        missing = self.gap(system, day)
        if missing is not None:
            other, wanted = missing
            loaded_to = self.history.latest_loaded_date(other)
            why = (f"{system} is loaded up to {loaded_to:%Y-%m-%d} and deliveries of a system load without gaps"
                   if other == system else
                   f"{system} refers to {other}, which is loaded up to {loaded_to:%Y-%m-%d}")
            return self._refuse(delivery, fingerprint(delivery.path), audit.GAP, report.HELD,
                                f"waiting for {other} {wanted:%Y-%m-%d}: {why} (see `crmwh status`)")
        if last is None:  # a first attempt: fingerprinted from what its checks read, when it is recorded
            return Job(delivery, None, None, self.history.take_batch_id())
        fp = fingerprint(delivery.path)
        if _unchanged_failure(last, fp):
            return self._still_rejected(delivery, last)  # type: ignore[arg-type]
        return Job(delivery, fp, None, self.history.take_batch_id())

    def _reloads(self, delivery: Delivery) -> bool:
        """Whether this run may replace the delivery's loaded batch (its files changed)."""
        if isinstance(self.reload, ReloadScope):
            return self.reload.covers(delivery.system, delivery.business_date)
        return bool(self.reload)

    def gap(self, system: str, day: date) -> tuple[str, date] | None:
        """The first missing delivery ``system``'s delivery of ``day`` must wait for: (system, business date).

        A system delivers on the business days of its calendar (bank profile; the demo bank's is every day), and a
        system's first delivery starts its sequence. A delivery waits for its own system's expected deliveries
        before it, and for the expected deliveries up to its own day of every system its foreign keys point at
        (``ref`` for all the others): loading over the hole would reject the rows that refer to the missing day as
        orphans, and the missing day could never load after a later one. A day off, or a system whose extracts all
        come only on change, is never waited for.
        """
        for other in (system, *self.refers_to[system]):
            latest = self.history.latest_loaded_date(other)
            if latest is None:
                continue
            until = day - ONE_DAY if other == system else day
            wanted = latest + ONE_DAY
            while wanted <= until:
                if self.contracts.expects_delivery(other, wanted):
                    return other, wanted
                wanted += ONE_DAY
        return None

    def _changes_since_withdrawal(self, marker: Attempt, delivery: Delivery, fp: str) -> list[str]:
        if marker.fingerprint == fp:
            return []
        row = self.con.execute("SELECT replaced_batch_id FROM audit.deliveries WHERE batch_id = ?",
                               [marker.batch_id]).fetchone()
        if row is None or row[0] is None:  # withdrawn before it loaded: only its fingerprint is known
            return ["fingerprint differs"]
        return self._changes_since(Attempt(int(row[0]), delivery.system, delivery.business_date, audit.WITHDRAWN,
                                           None, None, marker.fingerprint), delivery)

    def _changes_since(self, loaded: Attempt, delivery: Delivery) -> list[str]:
        """What differs between the delivery folder and the files of batch ``loaded`` (empty: identical), by content.

        A control file carries its data file's MD5, so equal control files and equal data sizes mean the delivery is
        the one loaded, without reading the data again on every run; ``--reload`` compares the data files' MD5s too.
        """
        recorded: dict[str, tuple[str | None, int | None]] = {}
        for name, md5, size, control_name, control_md5 in self.con.execute(
            "SELECT file_name, md5, byte_size, control_file_name, control_file_md5 FROM audit.delivery_files "
            "WHERE batch_id = ?", [loaded.batch_id],
        ).fetchall():
            recorded[name] = (md5, size)
            if control_name:
                recorded[control_name] = (control_md5, None)
        present = {shown_name(p): p for p in entries(delivery.path)}
        changes = [f"{n} added" for n in sorted(set(present) - set(recorded))]
        changes += [f"{n} removed" for n in sorted(set(recorded) - set(present))]
        both = sorted(set(present) & set(recorded))

        def changed(name: str, deep: bool) -> bool:
            path, (md5, size) = present[name], recorded[name]
            is_control = size is None
            now_size = regular_size(path)
            if now_size is None or (not is_control and now_size != size):
                return True
            return (is_control or deep) and content_md5(path) != md5

        deep = self._reloads(delivery)
        found = {name for name in both if changed(name, deep)}
        if (found or changes) and not deep:  # changed anyway: name every file that differs
            found |= {name for name in both if name not in found and changed(name, True)}
        return changes + [f"{name} changed" for name in both if name in found]

    def _still_rejected(self, delivery: Delivery, last: Attempt) -> DeliveryOutcome:
        return DeliveryOutcome(delivery.system, delivery.business_date, report.REJECTED,
                               f"unchanged since batch {last.batch_id} rejected it: {short(last.reason)}",
                               batch_id=last.batch_id, recorded=False)

    def _refuse(self, delivery: Delivery, fp: str, code: str, outcome: str, reason: str) -> DeliveryOutcome:
        system, day = delivery.system, delivery.business_date
        last = self.history.last(system, day)
        if (last is not None and last.status == audit.REJECTED and last.reason_code == code
                and last.reason == reason and last.fingerprint == fp):
            return DeliveryOutcome(system, day, outcome, reason, batch_id=last.batch_id, recorded=False)
        batch_id = self.history.take_batch_id()
        at = now()
        row: dict[str, object] = {
            "batch_id": batch_id, "system": system, "business_date": day, "status": audit.REJECTED,
            "reason_code": code, "reason": reason, "started_at": at, "finished_at": at,
            "duration_seconds": 0.0, "reload": self._reloads(delivery), "fingerprint": fp,
            "delivery_path": str(delivery.path),
        }
        if self.record:
            self.con.execute("BEGIN TRANSACTION")
            try:
                audit.insert_delivery(self.con, row)
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
        self.history.add(Attempt(batch_id, system, day, audit.REJECTED, code, reason, fp))
        return DeliveryOutcome(system, day, outcome, reason, batch_id=batch_id,
                               audit_row=None if self.record else row)



def _unchanged_failure(last: Attempt | None, fp: str) -> bool:
    return (last is not None and last.status == audit.REJECTED and last.reason_code == audit.CHECK_FAILED
            and last.fingerprint == fp)


