"""Set-based loading: every pending delivery of a run checked and loaded together, with the per-delivery rules intact.

Loading one delivery at a time costs a fixed ~100 ms per delivery (a transaction, a dozen small statements per file),
which dominates a backlog of many small deliveries. Here the pending deliveries are taken as one batch:

1. **plan**: every delivery is decided in load order as the one-at-a-time loader would, on a copy of the delivery
   history in which every delivery to attempt is assumed to load (batch ids are given out in the same order);
2. **scan**: the files of every delivery to attempt are checked against their control files and contracts in
   parallel threads (MD5, decoding, record counts, transcoding; ``ingest.filecheck``);
3. **load**: per extract, one ``INSERT … SELECT … FROM read_csv([every pending file])`` appends the typed rows of all
   pending files to the raw table, with their lineage; the type, key and foreign-key checks run as set operations
   over the whole batch (a foreign key may point at rows of its own delivery, of earlier deliveries of the batch and
   of batches loaded before — the rule of the one-at-a-time loader, expressed with batch ids, which increase in load
   order); rejected rows leave raw by anti-join; row accounting and reject ratios are checked per file;
4. **cut**: deliveries up to the first one that fails (in load order) are final — everything before it was checked
   against exactly what the one-at-a-time loader would have seen. Their rows, audit records and the failed
   delivery's rejection are committed together; the deliveries after it are planned again from there (their scans
   are kept), now that the failure holds later deliveries of its system and takes its rows away from the foreign
   keys of others. With no failure the whole batch commits at once.

A delivery is still all or nothing: its rows and audit records are written in the same transaction, and a delivery
that fails leaves nothing in raw. Files that need line-number corrections (blank lines, records the reader or the
fixed-width scan set aside) go through the one-file statements of ``ingest.attempt``; an unexpected error while
loading a batch rolls it back and loads the same deliveries one at a time, which names the delivery that failed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from tqdm import tqdm

from contracts.contract import Contract, ContractSet
from ingest import audit, report, volume
from ingest.attempt import (
    DeliveryAttempt,
    Job,
    _delivery_reason,
    _FileState,
    masked_raw_text,
    now,
    scanned_fingerprint,
)
from ingest.audit import Attempt, DeliveryHistory, quote_ident
from ingest.filecheck import ScannedFile, scan_file
from ingest.landing import Delivery, entries, expected_contracts, regular_size
from ingest.report import DeliveryOutcome
from ingest.rowsql import (
    DUPLICATE_KEY,
    KEY_CODES,
    ORPHAN_FOREIGN_KEY,
    READER_ERRORS,
    READER_SCANS,
    REJECTS,
    identity_rejects_sql,
    insert_raw_many_sql,
    reset_reader_rejects_sql,
    sql_str,
    type_rejects_sql,
)

# Data bytes planned into one pass: bounds the memory of a pass and the work redone after a delivery fails.
PASS_BYTES = 2 * 1024 ** 3
_FILES = "_crmwh_batch_files"
_OFFSETS = "_crmwh_batch_offsets"
_REPLACED = "_crmwh_batch_replaced"
_FILES_COLUMNS = (("file_idx", "INTEGER"), ("batch_id", "BIGINT"), ("system", "VARCHAR"), ("business_date", "DATE"),
                  ("extract", "VARCHAR"), ("file_name", "VARCHAR"))
_OFFSETS_COLUMNS = (("path", "VARCHAR"), ("batch_id", "BIGINT"), ("business_date", "DATE"),
                    ("source_file", "VARCHAR"), ("line_offset", "BIGINT"))
_REPLACED_COLUMNS = (("old_batch", "BIGINT"), ("new_batch", "BIGINT"))


@dataclass
class _Scanned:
    """A delivery to attempt, its files checked."""

    job: Job
    files: list[_FileState] = field(default_factory=list)
    unexpected: list[Path] = field(default_factory=list)
    error: str | None = None  # the landing files could not be read
    problem: str | None = None  # the delivery's files failed their checks
    fingerprint: str | None = None  # as recorded


@dataclass
class _Item:
    delivery: Delivery
    decision: DeliveryOutcome | Job
    scanned: _Scanned | None = None


class BatchLoader:
    """Loads a run's pending deliveries set-based, on the calling thread's connection (not inside a transaction)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, contracts: ContractSet, history: DeliveryHistory,
                 decide: Callable[[DeliveryHistory], Callable[[Delivery], DeliveryOutcome | Job]],
                 one_at_a_time: Callable[[list[Delivery]], list[DeliveryOutcome]], work_dir: Path | None,
                 workers: int, bar: tqdm) -> None:
        self.con = con
        self.contracts = contracts
        self.history = history
        self.decide = decide  # a decider working on the history it is given, writing nothing
        self.one_at_a_time = one_at_a_time
        self.workers = workers
        self.bar = bar
        self.work_dir = work_dir
        self.files = DeliveryAttempt(con, contracts, history, work_dir)  # the one-file statements and audit rows
        self.tmp = Path(tempfile.mkdtemp(prefix="crmwh-batch-", dir=work_dir))
        self.scans: dict[Path, ScannedFile] = {}
        self.order = _load_order(contracts)
        self.one_by_one: set[int] = set()  # files of the pass appended by the one-file statements

    def close(self) -> None:
        self.files.cleanup()
        for table in (_FILES, _OFFSETS, _REPLACED):
            self.con.execute(f"DROP TABLE IF EXISTS {table}")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, deliveries: list[Delivery]) -> list[DeliveryOutcome]:
        outcomes: list[DeliveryOutcome] = []
        i = 0
        while i < len(deliveries):
            plan = self._plan(deliveries[i:])
            try:
                done, settled = self._pass(plan)
            except Exception:  # rolled back; one at a time names the delivery that fails and records the error
                self._clear()
                settled = self.one_at_a_time([item.delivery for item in plan])
                done = len(plan)
                # loading one at a time on this connection dropped its scratch tables: make them again
                self.files = DeliveryAttempt(self.con, self.contracts, self.history, self.work_dir)
            outcomes += settled
            i += done
        return outcomes

    # ---- planning and scanning ---------------------------------------------------------------------------------

    def _plan(self, pending: list[Delivery]) -> list[_Item]:
        trial = self.history.copy()
        decide = self.decide(trial)
        plan: list[_Item] = []
        planned_bytes = 0
        for delivery in pending:
            if plan and planned_bytes >= PASS_BYTES:
                break
            decision = decide(delivery)
            item = _Item(delivery, decision)
            if isinstance(decision, Job):
                item.scanned = _Scanned(decision)
                planned_bytes += sum(regular_size(p) or 0 for p in entries(delivery.path))
                # assumed to load, as the one-at-a-time loader would find it if it does
                if decision.replace is not None:
                    trial.supersede(decision.replace)
                trial.add(Attempt(decision.batch_id, delivery.system, delivery.business_date, audit.LOADED, None,
                                  None, decision.fingerprint))
            else:
                self.bar.update(len(expected_contracts(self.contracts, delivery)))
            plan.append(item)
        return plan

    def _scan_one(self, delivery: Delivery, contract: Contract) -> ScannedFile:
        day = delivery.business_date
        data = delivery.path / contract.file_name(day)
        scan = self.scans.get(data)
        if scan is None:  # scanned in an earlier pass of the run: its result stands
            scan = scan_file(contract, day, data, delivery.path / contract.control_file_name(day), self.tmp)
            self.scans[data] = scan
        self.bar.update(1)
        return scan

    # ---- one pass -------------------------------------------------------------------------------------------------

    def _pass(self, plan: list[_Item]) -> tuple[int, list[DeliveryOutcome]]:
        """Load the plan up to its first failure; returns how many items are settled, and their outcomes.

        The files are checked in threads while the extracts whose files are checked load: the threads work through
        the files extract by extract, in load order, the order the loads need them.
        """
        started_at, t0 = now(), time.perf_counter()
        jobs = [item for item in plan if item.scanned is not None]
        slots: list[tuple[int, _Item, Contract]] = []  # (file index, delivery, contract), in load order
        for item in jobs:
            for contract in expected_contracts(self.contracts, item.delivery):
                slots.append((len(slots), item, contract))
        rank = {c.key: i for i, c in enumerate(self.order)}
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = {idx: pool.submit(self._scan_one, item.delivery, contract)
                       for idx, item, contract in sorted(slots, key=lambda s: (rank[s[2].key], s[0]))}
            self.con.execute("BEGIN TRANSACTION")
            try:
                failed = self._load(jobs, slots, futures) if jobs else None
                cut = len(plan) - 1 if failed is None else next(k for k, item in enumerate(plan) if item is failed)
                settled = plan[: cut + 1]
                outcomes = self._record(settled, started_at, t0)
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                for future in futures.values():
                    future.cancel()
                raise
        self._remember(settled)
        self._clear()
        for item in settled:  # their temporary UTF-8 copies are no longer needed
            for f in item.scanned.files if item.scanned else []:
                if f.scan.temporary_read_path:
                    f.scan.read_path.unlink(missing_ok=True)  # type: ignore[union-attr]
                self.scans.pop(f.scan.data_path, None)
        return len(settled), outcomes

    def _clear(self) -> None:
        self.files.rejects_pending = True
        self.files._clear_rejects()

    def _load(self, jobs: list[_Item], slots: list[tuple[int, _Item, Contract]],
              futures: dict[int, Future[ScannedFile]]) -> _Item | None:
        """Append the rows of every delivery, check them; None, or the first delivery that failed — its files' checks
        or its rows'. The rows of that delivery and of every one after it are gone again, and only its rejected rows
        stay in the rejects table."""
        self.one_by_one.clear()
        position = {id(item): k for k, item in enumerate(jobs)}
        first_batch = jobs[0].scanned.job.batch_id  # type: ignore[union-attr]
        self._create(_FILES, _FILES_COLUMNS)
        self._values(_FILES, _FILES_COLUMNS, [
            (idx, item.scanned.job.batch_id, item.delivery.system, item.delivery.business_date,  # type: ignore[union-attr]
             contract.extract, contract.file_name(item.delivery.business_date)) for idx, item, contract in slots])
        replaced = [(i.scanned.job.replace, i.scanned.job.batch_id) for i in jobs  # type: ignore[union-attr]
                    if i.scanned.job.replace is not None]  # type: ignore[union-attr]
        self._create(_REPLACED, _REPLACED_COLUMNS)
        self._values(_REPLACED, _REPLACED_COLUMNS, replaced)  # type: ignore[arg-type]
        # A delivery whose folder holds files no contract expects fails whatever its files hold.
        bad = len(jobs)
        for k, item in enumerate(jobs):
            sc, day = item.scanned, item.delivery.business_date
            assert sc is not None
            names = {n for c in expected_contracts(self.contracts, item.delivery)
                     for n in (c.file_name(day), c.control_file_name(day))}
            try:
                sc.unexpected = [p for p in entries(item.delivery.path) if p.name not in names]
            except OSError as exc:
                sc.error = f"checking failed: {type(exc).__name__}: {exc}"
            if (sc.unexpected or sc.error) and bad == len(jobs):
                bad = k
        stamp = now().isoformat(sep=" ")
        states: dict[int, _FileState] = {}
        results: dict[int, ScannedFile | OSError] = {}
        by_contract: dict[str, list[tuple[_Item, _FileState]]] = {}
        for contract in self.order:
            for idx, item, c in slots:
                if c is not contract:
                    continue
                try:
                    results[idx] = scan = futures[idx].result()
                except OSError as exc:
                    results[idx] = exc
                    bad = min(bad, position[id(item)])
                    continue
                if scan.problem is not None:
                    bad = min(bad, position[id(item)])
                elif position[id(item)] < bad:
                    states[idx] = _FileState(idx, scan)
                    by_contract.setdefault(contract.key, []).append((item, states[idx]))
            self._append(contract, [(i, f) for i, f in by_contract.get(contract.key, [])
                                    if position[id(i)] < bad], stamp, first_batch)
        self._settle_scans(jobs, slots, results, states)
        if bad < len(jobs):  # the files of a delivery failed their checks: it and the ones after it wait
            self._drop_from(jobs[bad], jobs, by_contract)
        loading = {id(item) for item in jobs[:bad]}
        for contract in self.order:
            self._check_keys(contract, [f for i, f in by_contract.get(contract.key, []) if id(i) in loading],
                             first_batch, bool(replaced))
        files = [f for item in jobs[:bad] for f in item.scanned.files]  # type: ignore[union-attr]
        self.files._count_rejects(files)
        for f in files:
            f.problem = self.files._accounting_problem(f)
        if self.files.rejects_pending:
            self.files._fill_raw_text(files)
        failed = next((item for item in jobs[:bad] if any(f.problem for f in item.scanned.files)), None)  # type: ignore[union-attr]
        if failed is None:
            return jobs[bad] if bad < len(jobs) else None
        # the deliveries after the failed one are planned and loaded again; the failed one keeps its rejected rows
        self._drop_from(failed, jobs, by_contract, keep_rejects=True)
        return failed

    def _settle_scans(self, jobs: list[_Item], slots: list[tuple[int, _Item, Contract]],
                      results: dict[int, ScannedFile | OSError], states: dict[int, _FileState]) -> None:
        """Each delivery's checked files, in its load order, and why its files failed, as checking one delivery
        at a time reports it (an unreadable file ends the delivery's checks there)."""
        of_item: dict[int, list[int]] = {}
        for idx, item, _ in slots:
            of_item.setdefault(id(item), []).append(idx)
        for item in jobs:
            sc = item.scanned
            assert sc is not None
            for idx in of_item[id(item)]:
                result = results[idx]
                if isinstance(result, OSError):
                    sc.error = f"checking failed: {type(result).__name__}: {result}"
                    break
                sc.files.append(states.get(idx) or _FileState(idx, result, problem=result.problem))
        for item in jobs:
            sc = item.scanned
            assert sc is not None
            if sc.error is not None:
                sc.unexpected = []
                continue
            problems = [f.problem for f in sc.files if f.problem]
            problems += [self.files._unexpected_reason(item.delivery, p) for p in sc.unexpected]
            if problems:
                sc.problem = _delivery_reason(problems, len(sc.files) + len(sc.unexpected))

    def _drop_from(self, first: _Item, jobs: list[_Item], by_contract: dict[str, list[tuple[_Item, _FileState]]],
                   keep_rejects: bool = False) -> None:
        """Take the rows of ``first`` and every delivery after it out of raw again, and their rejected rows (but
        ``first``'s own with ``keep_rejects``)."""
        cut_batch = first.scanned.job.batch_id  # type: ignore[union-attr]
        for contract in self.order:
            if contract.key in by_contract:
                self.con.execute(f"DELETE FROM {audit.raw_table_ref(contract)} WHERE _batch_id >= {cut_batch}")
        later = [f.idx for item in jobs for f in item.scanned.files  # type: ignore[union-attr]
                 if item.scanned.job.batch_id > cut_batch or  # type: ignore[union-attr]
                 (not keep_rejects and item.scanned.job.batch_id == cut_batch)]  # type: ignore[union-attr]
        if later:
            self.con.execute(f"DELETE FROM {REJECTS} WHERE file_idx >= {min(later)}")

    def _values(self, table: str, columns: tuple[tuple[str, str], ...], rows: list[tuple]) -> None:
        self.files._insert_rows(table, columns, rows)

    def _create(self, table: str, columns: tuple[tuple[str, str], ...]) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns)})")

    # ---- appending --------------------------------------------------------------------------------------------

    def _append(self, contract: Contract, states: list[tuple[_Item, _FileState]], stamp: str,
                first_batch: int) -> None:
        """Every pending file of one extract: the regular ones in one statement, the others one by one."""
        regular: list[tuple[_Item, _FileState]] = []
        for item, f in states:
            if f.scan.data_lines == 0:
                continue
            if f.scan.skipped:  # lines set aside while scanning: line numbers need the one-file corrections
                self._append_one(item, f, stamp)
            else:
                regular.append((item, f))
        while regular:
            regular = self._append_many(contract, regular, stamp)
        self._count_inserted(contract, [f for _, f in states if f.scan.data_lines], first_batch)

    def _append_many(self, contract: Contract, states: list[tuple[_Item, _FileState]],
                     stamp: str) -> list[tuple[_Item, _FileState]]:
        """Append files in one statement; returns the files still to append when the reader set records aside."""
        source = states[0][1].source
        offsets, offset = [], 0
        for item, f in states:
            offsets.append((str(f.scan.read_path), item.scanned.job.batch_id,  # type: ignore[union-attr]
                            item.delivery.business_date, f.name, offset))
            offset += f.scan.data_lines
        self._create(_OFFSETS, _OFFSETS_COLUMNS)
        self._values(_OFFSETS, _OFFSETS_COLUMNS, offsets)
        self.con.execute(reset_reader_rejects_sql())
        self.con.execute(insert_raw_many_sql(contract, source, [o[0] for o in offsets], _OFFSETS, stamp))
        bad = self.con.execute(
            f"SELECT min(s.file_id) FROM {READER_ERRORS} e JOIN {READER_SCANS} s USING (scan_id, file_id) "
            f"WHERE scan_id = (SELECT max(scan_id) FROM {READER_SCANS})"
        ).fetchone()[0]  # type: ignore[index]
        if bad is None:
            return []
        # The reader set records aside in file ``bad``: from there on the ordinals are off. That file goes through
        # the one-file statements (which place the set-aside lines); the files after it are appended again.
        k = int(bad)
        redo = states[k:]
        for item, _ in redo:
            self.con.execute(f"DELETE FROM {audit.raw_table_ref(contract)} WHERE _batch_id = "
                             f"{item.scanned.job.batch_id}")  # type: ignore[union-attr]
        self._append_one(*redo[0], stamp)
        return redo[1:]

    def _append_one(self, item: _Item, f: _FileState, stamp: str) -> None:
        self.one_by_one.add(f.idx)
        self.files._append(f, self._base(item), stamp)

    def _count_inserted(self, contract: Contract, files: list[_FileState], first_batch: int) -> None:
        """Rows each file appended; files short of their records get the reasons of their invalid rows."""
        if not files:
            return
        counts = dict(self.con.execute(
            f"SELECT _batch_id, count(*) FROM {audit.raw_table_ref(contract)} WHERE _batch_id >= {first_batch} "
            f"GROUP BY ALL").fetchall())
        by_file = {f.name: f for f in files}
        batch_of = dict(self.con.execute(
            f"SELECT file_name, batch_id FROM {_FILES} WHERE system = ? AND extract = ?",
            [contract.system, contract.extract]).fetchall())
        for name, f in by_file.items():
            f.inserted = int(counts.get(batch_of[name], 0))
            if f.idx in self.one_by_one:
                continue  # the one-file statements found its rejected rows already
            missing = f.scan.data_lines - f.inserted
            if missing <= 0:
                continue
            reader_lines = self.con.execute(
                f"SELECT count(DISTINCT line_number) FROM {REJECTS} WHERE file_idx = ?", [f.idx]).fetchone()[0]  # type: ignore[index]
            if missing - int(reader_lines) > 0:
                sql = type_rejects_sql(contract, f.source, f.idx, None)
                if sql:
                    self.con.execute(sql)
                    self.files.rejects_pending = True

    def _base(self, item: _Item) -> dict:
        job = item.scanned.job  # type: ignore[union-attr]
        return {"batch_id": job.batch_id, "business_date": item.delivery.business_date}

    # ---- keys -------------------------------------------------------------------------------------------------

    def _check_keys(self, contract: Contract, files: list[_FileState], first_batch: int, reloads: bool) -> None:
        """Duplicate primary keys in each file, and orphan foreign keys, over the extract's appended rows at once;
        the rows rejected leave raw before the extracts that point at this one are checked."""
        if not any(f.inserted for f in files) or not (contract.primary_key or contract.foreign_keys):
            return
        table = audit.raw_table_ref(contract)
        rows = f"SELECT * FROM {table} WHERE _batch_id >= {first_batch}"
        files_of = (f"(SELECT file_idx, batch_id FROM {_FILES} WHERE system = {sql_str(contract.system)} "
                    f"AND extract = {sql_str(contract.extract)})")
        found = 0
        if contract.primary_key:
            pk = [quote_ident(c) for c in contract.primary_key]
            pk_list = ", ".join(contract.primary_key)
            values = "concat_ws(', ', " + ", ".join(f"CAST(t.{c} AS VARCHAR)" for c in pk) + ")"
            join = " AND ".join(f"t.{c} = d.{c}" for c in pk)
            found += int(self.con.execute(
                f"INSERT INTO {REJECTS} (file_idx, line_number, column_name, reason_code, reason) "
                f"SELECT m.file_idx, t._line_number, NULL, '{DUPLICATE_KEY}', "
                f"concat({sql_str(f'primary key ({pk_list}) = (')}, {values}, ') appears ', d.copies, "
                f"' times in the file, on lines ', array_to_string(d.lines[1:10], ', '), "
                f"CASE WHEN d.copies > 10 THEN ', …' ELSE '' END) "
                f"FROM ({rows}) t JOIN (SELECT _batch_id, {', '.join(pk)}, count(*) AS copies, "
                f"list(_line_number ORDER BY _line_number) AS lines FROM ({rows}) GROUP BY ALL HAVING count(*) > 1) d "
                f"ON t._batch_id = d._batch_id AND {join} JOIN {files_of} m ON m.batch_id = t._batch_id"
            ).fetchone()[0])  # type: ignore[index]
        for fk in contract.foreign_keys:
            ref = self.contracts.get(fk.ref_key)
            ref_cols = ", ".join(quote_ident(c) for c in fk.ref_columns)
            match = " AND ".join(f"p.{quote_ident(rc)} = t.{quote_ident(c)}"
                                 for c, rc in zip(fk.columns, fk.ref_columns, strict=True))
            present = " AND ".join(f"t.{quote_ident(c)} IS NOT NULL" for c in fk.columns)
            values = "concat_ws(', ', " + ", ".join(f"CAST(t.{quote_ident(c)} AS VARCHAR)" for c in fk.columns) + ")"
            fk_cols = ", ".join(fk.columns)
            # A referenced row counts for a row of batch b when it was loaded in batch b or before, unless a reload in
            # this run replaced its batch by batch b or before (then it counts only before the replacement).
            if reloads:
                parents = (f"SELECT {ref_cols}, min(r._batch_id) FILTER (WHERE x.old_batch IS NULL) AS first_batch, "
                           f"max(x.new_batch) AS until_batch FROM {audit.raw_table_ref(ref)} r "
                           f"LEFT JOIN {_REPLACED} x ON x.old_batch = r._batch_id GROUP BY ALL")
                counts = "(p.first_batch <= t._batch_id OR p.until_batch > t._batch_id)"
            else:
                parents = (f"SELECT {ref_cols}, min(_batch_id) AS first_batch FROM {audit.raw_table_ref(ref)} "
                           f"GROUP BY ALL")
                counts = "p.first_batch <= t._batch_id"
            found += int(self.con.execute(
                f"INSERT INTO {REJECTS} (file_idx, line_number, column_name, reason_code, reason) "
                f"SELECT m.file_idx, t._line_number, {sql_str(fk_cols)}, '{ORPHAN_FOREIGN_KEY}', "
                f"concat({sql_str(f'foreign key ({fk_cols}) = (')}, {values}, "
                f"{sql_str(f') not found in {fk.ref_key} (neither in this delivery nor already loaded)')}) "
                f"FROM ({rows}) t LEFT JOIN ({parents}) p ON {match} JOIN {files_of} m ON m.batch_id = t._batch_id "
                f"WHERE {present} AND NOT coalesce({counts}, false)"
            ).fetchone()[0])  # type: ignore[index]
        if found:
            self._delete_key_rejects(contract, files, files_of)
        if contract.stable_columns:  # after the rows rejected above left raw: they never count as loaded before
            replaced = f" WHERE _batch_id NOT IN (SELECT old_batch FROM {_REPLACED})" if reloads else ""
            sql = identity_rejects_sql(contract, rows, table + replaced, "m.file_idx",
                                       f"JOIN {files_of} m ON m.batch_id = t._batch_id")
            if int(self.con.execute(sql).fetchone()[0]):  # type: ignore[index]
                self._delete_key_rejects(contract, files, files_of)

    def _delete_key_rejects(self, contract: Contract, files: list[_FileState], files_of: str) -> None:
        self.files.rejects_pending = True
        table = audit.raw_table_ref(contract)
        codes = ", ".join(f"'{c}'" for c in KEY_CODES)
        self.con.execute(
            f"DELETE FROM {table} USING (SELECT DISTINCT m.batch_id, r.line_number FROM {REJECTS} r "
            f"JOIN {files_of} m USING (file_idx) WHERE r.reason_code IN ({codes})) d "
            f"WHERE {table}._batch_id = d.batch_id AND {table}._line_number = d.line_number"
        )
        deleted = dict(self.con.execute(
            f"SELECT file_idx, count(DISTINCT line_number) FROM {REJECTS} WHERE reason_code IN ({codes}) "
            f"GROUP BY ALL").fetchall())
        for f in files:
            f.deleted = int(deleted.get(f.idx, 0))

    # ---- recording --------------------------------------------------------------------------------------------

    def _record(self, settled: list[_Item], started_at: object, t0: float) -> list[DeliveryOutcome]:
        """Audit records of the settled items (inside the pass's transaction); their outcomes."""
        deliveries: list[dict] = []
        files: list[dict] = []
        outcomes: list[DeliveryOutcome] = []
        keep_rejects: list[int] = []
        superseded: list[tuple[int, int, str]] = []
        for item in settled:
            decision = item.decision
            if isinstance(decision, DeliveryOutcome):
                if decision.audit_row is not None:
                    deliveries.append(decision.audit_row)
                outcomes.append(decision)
                continue
            sc = item.scanned
            assert sc is not None
            job, delivery = sc.job, item.delivery
            # an unreadable delivery (ERROR) is tried again by the next run whatever it holds: no fingerprint
            sc.fingerprint = job.fingerprint or (None if sc.error else scanned_fingerprint(delivery, sc.files))
            base = {"batch_id": job.batch_id, "system": delivery.system, "business_date": delivery.business_date,
                    "started_at": started_at, "reload": job.replace is not None, "replaced_batch_id": job.replace,
                    "fingerprint": sc.fingerprint, "delivery_path": str(delivery.path)}
            n = len(expected_contracts(self.contracts, delivery))
            rejected = sum(f.rows_rejected for f in sc.files)
            if sc.error is not None or sc.problem is not None:
                code = audit.ERROR if sc.error is not None else audit.CHECK_FAILED
                reason = sc.error or sc.problem
                for f in sc.files:
                    f.rows_rejected = 0
                rejected = 0
                files += self.files._file_rows(base, sc.files, [] if sc.error else sc.unexpected, loaded=False)
                deliveries.append(self.files._delivery_row(base, sc.files, audit.REJECTED, code, reason, t0, False))
                outcomes.append(self._outcome(delivery, report.REJECTED, reason, job.batch_id, sc.files, t0, False))
                continue
            problems = [f.problem for f in sc.files if f.problem]
            keep_rejects += [f.idx for f in sc.files]
            if problems:
                reason = _delivery_reason(problems, n)  # type: ignore[arg-type]
                files += self.files._file_rows(base, sc.files, [], loaded=False)
                deliveries.append(self.files._delivery_row(base, sc.files, audit.REJECTED, audit.CHECK_FAILED,
                                                           reason, t0, False))
                outcomes.append(self._outcome(delivery, report.REJECTED, reason, job.batch_id, sc.files, t0, False))
                continue
            files += self.files._file_rows(base, sc.files, [], loaded=True)
            deliveries.append(self.files._delivery_row(base, sc.files, audit.LOADED, None, None, t0, True))
            note = f"{rejected} rows rejected (see audit.rejected_rows)" if rejected else None
            outcome = self._outcome(delivery, report.LOADED, note, job.batch_id, sc.files, t0, True)
            outcome.replaced_batch_id = job.replace
            outcomes.append(outcome)
            if job.replace is not None:
                superseded.append((job.replace, job.batch_id, delivery.system))
        if self.files.rejects_pending and keep_rejects:
            # what is left in the rejects table belongs to the settled deliveries (see _load)
            self.con.execute(
                f"INSERT INTO audit.rejected_rows SELECT f.batch_id, f.system, f.business_date, f.extract, "
                f"f.file_name, r.line_number, r.column_name, r.reason_code, r.reason, "
                f"{masked_raw_text([f for item in settled if item.scanned for f in item.scanned.files])} "
                f"FROM {REJECTS} r JOIN {_FILES} f USING (file_idx) "
                f"ORDER BY r.file_idx, r.line_number, r.reason_code, r.column_name NULLS FIRST"
            )
        for old, new, system in superseded:
            for contract in self.contracts.for_system(system):
                self.con.execute(f"DELETE FROM {audit.raw_table_ref(contract)} WHERE _batch_id = ?", [old])
            self.con.execute(
                "UPDATE audit.deliveries SET status = ?, superseded_by_batch_id = ?, superseded_at = ? "
                "WHERE batch_id = ?", [audit.SUPERSEDED, new, now(), old])
            self.con.execute("UPDATE audit.delivery_files SET status = ? WHERE batch_id = ?",
                             [audit.FILE_SUPERSEDED, old])
        audit.insert_files(self.con, files)
        loaded = [o for o in outcomes if o.outcome == report.LOADED and o.batch_id is not None]
        warnings = volume.record_warnings(self.con, [o.batch_id for o in loaded], self.contracts)  # type: ignore[misc]
        for o in loaded:
            o.warnings = warnings.get(o.batch_id, [])  # type: ignore[arg-type]
        finished = now()
        for d in deliveries:
            if d.get("files") is not None:  # attempted in this pass: one start, end and duration for all of them
                d["finished_at"] = finished
                d["duration_seconds"] = round(time.perf_counter() - t0, 3)
        audit.insert_deliveries(self.con, deliveries)
        return outcomes

    def _outcome(self, delivery: Delivery, outcome: str, reason: str | None, batch_id: int,
                 files: list[_FileState], t0: float, loaded: bool) -> DeliveryOutcome:
        return self.files._outcome(delivery, outcome, reason, batch_id, files, t0, loaded)

    def _remember(self, settled: list[_Item]) -> None:
        """The committed items, into the run's delivery history (the plan only changed a copy)."""
        for item in settled:
            decision = item.decision
            if isinstance(decision, DeliveryOutcome):
                if decision.audit_row is not None:
                    row = decision.audit_row
                    self.history.add(Attempt(int(row["batch_id"]), decision.system, decision.business_date,  # type: ignore[call-overload]
                                             audit.REJECTED, str(row["reason_code"]), str(row["reason"]),
                                             str(row["fingerprint"])))
                continue
            sc = item.scanned
            assert sc is not None
            job, delivery = sc.job, item.delivery
            failed = sc.error is not None or sc.problem is not None or any(f.problem for f in sc.files)
            if failed:
                code = audit.ERROR if sc.error is not None else audit.CHECK_FAILED
                reason = sc.error or sc.problem or _delivery_reason(
                    [f.problem for f in sc.files if f.problem],  # type: ignore[misc]
                    len(expected_contracts(self.contracts, delivery)))
                self.history.add(Attempt(job.batch_id, delivery.system, delivery.business_date, audit.REJECTED,
                                         code, reason, sc.fingerprint))
            else:
                if job.replace is not None:
                    self.history.supersede(job.replace)
                self.history.add(Attempt(job.batch_id, delivery.system, delivery.business_date, audit.LOADED, None,
                                         None, sc.fingerprint))


def _load_order(contracts: ContractSet) -> list[Contract]:
    """Every extract after the extracts its foreign keys point at, across systems (systems in their order, then
    each system's own load order, as far as the keys allow)."""
    pending = [c for s in contracts.systems for c in contracts.load_order(s)]
    placed: set[str] = set()
    order: list[Contract] = []
    while pending:
        ready = next((c for c in pending if all(fk.ref_key in placed or fk.ref_key == c.key
                                                for fk in c.foreign_keys)), None)
        if ready is None:
            raise ValueError(f"the extracts' foreign keys form a cycle: {[c.key for c in pending]}")
        order.append(ready)
        placed.add(ready.key)
        pending.remove(ready)
    return order
