"""Attempting one delivery: check its files, load their rows in one transaction, record the outcome in audit.

``DeliveryAttempt`` works on its own DuckDB connection (its transactions and scratch tables are its own), so that
deliveries which do not depend on each other can load at the same time on several threads.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from tqdm import tqdm

from contracts.contract import CONTROL_SUFFIX, Contract, ContractSet
from ingest import audit, report, volume
from ingest.audit import Attempt, DeliveryHistory
from ingest.filecheck import ScannedFile, read_lines, scan_file
from ingest.landing import (
    Delivery,
    content_md5,
    entries,
    entry_problem,
    expected_contracts,
    fingerprint,
    regular_size,
    shown_name,
)
from ingest.report import DeliveryOutcome
from ingest.rowsql import (
    READER_ERRORS,
    READER_SCANS,
    REJECTS,
    Source,
    batch_rows,
    count_problems_sql,
    delete_rejected_sql,
    fix_lines_sql,
    identity_rejects_sql,
    insert_raw_sql,
    key_rejects_sql,
    masked_raw_text_sql,
    reset_reader_rejects_sql,
    skip_map_sql,
    sql_str,
    type_rejects_sql,
)

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
class Job:
    """A delivery to attempt, with the batch id it was given when it was decided."""

    delivery: Delivery
    fingerprint: str | None  # None: a first attempt, fingerprinted from its scans (``scanned_fingerprint``)
    replace: int | None
    batch_id: int


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def short(text: str | None, limit: int = 300) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DeliveryAttempt:
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

    def attempt(self, job: Job, bar: tqdm) -> DeliveryOutcome:
        delivery, fp, replace, batch_id = job.delivery, job.fingerprint, job.replace, job.batch_id
        system, day = delivery.system, delivery.business_date
        started_at, t0 = now(), time.perf_counter()
        base = {"batch_id": batch_id, "system": system, "business_date": day, "started_at": started_at,
                "reload": replace is not None, "replaced_batch_id": replace, "fingerprint": fp,
                "delivery_path": str(delivery.path)}
        expected = expected_contracts(self.contracts, delivery)
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
                unexpected = [p for p in entries(delivery.path) if p.name not in expected_names]
                if fp is None:
                    base["fingerprint"] = scanned_fingerprint(delivery, files)
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
                warnings = self._load(base, files, replace, t0)
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
            outcome.warnings = warnings
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
        problem = entry_problem(path)
        if problem is not None:
            return problem
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

    def _load(self, base: dict, files: list[_FileState], replace: int | None, t0: float) -> list[str]:
        """Append every file and run the row checks in one transaction; commit, or roll back and raise. Returns the
        volume warnings of the files loaded."""
        stamp = now().isoformat(sep=" ")
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
                    "WHERE batch_id = ?", [audit.SUPERSEDED, base["batch_id"], now(), replace])
                self.con.execute("UPDATE audit.delivery_files SET status = ? WHERE batch_id = ?",
                                 [audit.FILE_SUPERSEDED, replace])
            warnings = volume.record_warnings(self.con, [base["batch_id"]], self.contracts)
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
        return warnings.get(base["batch_id"], [])

    def _append(self, f: _FileState, base: dict, stamp: str) -> None:
        """Append the file's valid rows to raw; collect the lines that were set aside, and why."""
        scan = f.scan
        if scan.data_lines == 0:
            return
        sql = insert_raw_sql(f.contract, f.source, base["batch_id"], f"{base['business_date']:%Y-%m-%d}", f.name,
                             stamp)
        self.con.execute(reset_reader_rejects_sql())
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
        """Duplicate primary keys, orphan foreign keys and reused keys among the rows just appended; rejected rows
        leave raw."""
        self._check_key_and_refs(files, batch_id, exclude)
        for f in files:
            if not f.contract.stable_columns or f.rows_loaded <= 0:
                continue
            table = audit.raw_table_ref(f.contract)
            sql = identity_rejects_sql(f.contract, batch_rows(f.contract, batch_id, f.name),
                                       f"{table} WHERE _batch_id <> {exclude}", str(f.idx))
            if int(self.con.execute(sql).fetchone()[0]):  # type: ignore[index]
                self.rejects_pending = True
                sql = delete_rejected_sql(f.contract, f.idx, batch_id, f.name)
                f.deleted += int(self.con.execute(sql).fetchone()[0])  # type: ignore[index]

    def _check_key_and_refs(self, files: list[_FileState], batch_id: int, exclude: int) -> None:
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
        audit.insert_json(self.con, table, list(columns), rows, self.work_dir)

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
            problem = entry_problem(path)
            rows.append({
                "batch_id": base["batch_id"], "system": base["system"], "business_date": base["business_date"],
                "extract": None, "file_name": shown_name(path), "byte_size": regular_size(path),
                "md5": content_md5(path), "status": audit.FILE_REJECTED,
                "reason": problem.split(": ", 1)[1] if problem else "unexpected file in the delivery",
            })
        return rows

    def _delivery_row(self, base: dict, files: list[_FileState], status: str, code: str | None,
                      reason: str | None, t0: float, loaded: bool) -> dict:
        finished = now()
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
            f"reason_code, reason, {masked_raw_text(files)} FROM {REJECTS} "
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


def scanned_fingerprint(delivery: Delivery, files: list[_FileState]) -> str | None:
    """The delivery's fingerprint, reusing the sizes and MD5s its file checks computed; None if unreadable."""
    known = {f.scan.data_path.name: (f.scan.byte_size, f.scan.md5) for f in files
             if f.scan.md5 is not None and f.scan.byte_size is not None}
    try:
        return fingerprint(delivery.path, known)  # type: ignore[arg-type]
    except OSError:
        return None


def masked_raw_text(files: list[_FileState]) -> str:
    """The rejects table's ``raw_text`` with each file's PII fields masked (see ``rowsql.masked_raw_text_sql``)."""
    cases = [f"WHEN {f.idx} THEN {masked_raw_text_sql(f.contract, 'raw_text')}" for f in files
             if any(c.pii for c in f.contract.columns)]
    return f"CASE file_idx {' '.join(cases)} ELSE raw_text END" if cases else "raw_text"


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
