"""`crmwh check-delivery DIR`: check a bank's sample delivery against the contracts and the bank profile, without
loading it anywhere that lasts, and say what is wrong in words a bank's extract developer can act on.

The checks are the loader's own: the sample is copied to a temporary landing area and loaded by ``ingest`` into an
in-memory DuckDB database — never the warehouse — so a file that passes here passes ``crmwh ingest``. Three things
differ, to report everything at once instead of stopping at the first failure:

- a data file without its control file is checked as if it had a correct one (and the missing file is reported);
- a file's reject ratio does not stop the load (the report says when the contract's ratio would reject it);
- foreign keys to an extract that is not in the sample are not checked (and the report says so).

After the load, code columns are compared with the contract's code lists (extended by the bank profile): a value not
in a list is reported with its count (the data-quality suites would block publishing on it).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import duckdb

from contracts.contract import CONTROL_SUFFIX, Contract, ContractSet, load_contracts
from contracts.control import write_control_file
from ingest.audit import quote_ident
from ingest.landing import IngestError, parse_day
from ingest.rowsql import sql_str

_DATE_DIR = re.compile(r"^\d{8}$")
FIRST_BAD_LINES = 5
CODE_VALUES_SHOWN = 10


@dataclass
class FileReport:
    system: str
    business_date: date
    file_name: str
    extract: str | None = None
    encoding: str | None = None
    columns: int | None = None
    status: str = "not checked"
    reason: str | None = None
    rows_read: int | None = None
    rows_loaded: int | None = None
    rows_rejected: int | None = None
    max_reject_ratio: float | None = None
    bad_lines: list[tuple[int, str | None, str, str]] = field(default_factory=list)  # line, column, code, reason
    bad_codes: list[tuple[str, str, int, list[str]]] = field(default_factory=list)  # column, value, rows, list
    notes: list[str] = field(default_factory=list)
    notes_are_errors: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "LOADED" and not self.rows_rejected and not self.bad_codes and not self.notes_are_errors

    def render(self) -> list[str]:
        verdict = "OK" if self.ok else "PROBLEMS"
        head = f"  {self.file_name}"
        if self.extract:
            head += f" ({self.extract}; {self.encoding.upper() if self.encoding else '?'}, {self.columns} columns)"
        lines = [f"{head}: {verdict}"]
        if self.reason:
            lines.append(f"    file: {self.reason}")
        if self.rows_read is not None:
            share = (self.rows_rejected or 0) / self.rows_read if self.rows_read else 0.0
            text = (f"    rows: {self.rows_read:,} read, {self.rows_loaded or 0:,} valid, "
                    f"{self.rows_rejected or 0:,} rejected")
            if self.max_reject_ratio is not None and share > self.max_reject_ratio:
                text += (f" — {share:.1%} is over the contract's {self.max_reject_ratio:.0%}: the loader would "
                         "reject the whole delivery")
            lines.append(text)
        for line, column, code, reason in self.bad_lines:
            where = f"line {line}" + (f", {column}" if column else "")
            lines.append(f"    {where}: {code}: {reason}")
        if self.rows_rejected and self.rows_rejected > len(self.bad_lines):
            lines.append(f"    … {self.rows_rejected - len(self.bad_lines):,} more rejected rows")
        for column, value, rows, codes in self.bad_codes:
            listed = ", ".join(codes[:12]) + (", …" if len(codes) > 12 else "")
            lines.append(f"    {column}: {value!r} in {rows:,} rows is not in the code list ({listed}); add it to "
                         "the bank profile's `codes` if it is the bank's own")
        lines += [f"    note: {n}" for n in self.notes]
        return lines


@dataclass
class CheckReport:
    source: Path
    profile: str
    files: list[FileReport] = field(default_factory=list)
    deliveries: list[tuple[str, date, str, str | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.files) and all(f.ok for f in self.files) and all(
            status == "LOADED" for _, _, status, _ in self.deliveries)

    def render(self) -> str:
        out = [f"check-delivery {self.source} (bank profile {self.profile}; nothing is loaded into the warehouse)"]
        out += [f"note: {n}" for n in self.notes]
        for system, day, status, reason in self.deliveries:
            out.append("")
            word = "would load" if status == "LOADED" else "would be REJECTED" if status == "REJECTED" else status
            out.append(f"{system} {day:%Y-%m-%d}: {word}" + (f" — {reason}" if reason and status != "LOADED" else ""))
            out += [line for f in self.files if (f.system, f.business_date) == (system, day) for line in f.render()]
        if any(code == "ORPHAN_FOREIGN_KEY" for f in self.files for _, _, code, _ in f.bad_lines):
            out += ["", "hint: ORPHAN_FOREIGN_KEY rows refer to keys that are not in the sample. An incremental "
                        "extract refers to what earlier deliveries sent: check the bank's first (full) delivery, or "
                        "include the days before it."]
        out += ["", "result: " + ("the sample passes every check" if self.ok else "problems found (see above)")]
        return "\n".join(out)


def _deliveries(source: Path, contracts: ContractSet) -> list[tuple[str, date, Path]]:
    """(system, business date, folder) of every delivery under ``source``: a delivery folder, a system folder or a
    landing area."""
    source = source.resolve()
    if not source.is_dir():
        raise IngestError(f"{source}: no such folder (give a delivery <system>/<YYYYMMDD>/, a system folder or a "
                          "landing area)")
    if _DATE_DIR.match(source.name) and source.parent.name in contracts.systems:
        day = parse_day(source.name)
        if day is None:
            raise IngestError(f"{source}: {source.name} is not a date")
        return [(source.parent.name, day, source)]
    roots = [source] if source.name in contracts.systems else [source / s for s in contracts.systems]
    found = []
    for root in roots:
        if not root.is_dir():
            continue
        for entry in sorted(root.iterdir()):
            day = parse_day(entry.name) if entry.is_dir() and _DATE_DIR.match(entry.name) else None
            if day is not None:
                found.append((root.name, day, entry))
    if not found:
        raise IngestError(f"{source}: no delivery folders (<system>/<YYYYMMDD>/) found; systems: "
                          f"{', '.join(contracts.systems)}")
    return found


def _record_count(path: Path, header: bool) -> int:
    data = path.read_bytes()
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    return max(0, lines - (1 if header and lines else 0))


def check_delivery(source: Path, contracts: ContractSet | None = None) -> CheckReport:
    """Check the sample delivery (or deliveries) under ``source``; see the module docstring."""
    contracts = contracts or load_contracts()
    profile = contracts.profile
    report = CheckReport(source=source, profile=str(profile.source_path) if profile and profile.source_path else "-")
    found = _deliveries(source, contracts)
    in_sample = {c.key for system, day, path in found for c in contracts.for_system(system)
                 if (path / c.file_name(day)).exists()}
    tmp = Path(tempfile.mkdtemp(prefix="crmwh-check-"))
    try:
        landing = tmp / "landing"
        synthetic: set[tuple[str, date, str]] = set()
        for system, day, path in found:
            if not contracts.bank_has(system):
                report.notes.append(f"{system} {day:%Y%m%d}: the bank profile has no system {system}; not checked")
                continue
            target = landing / system / f"{day:%Y%m%d}"
            shutil.copytree(path, target)
            for c in contracts.for_system(system):
                data = target / c.file_name(day)
                if data.is_file() and not (target / c.control_file_name(day)).exists():
                    write_control_file(data, day, _record_count(data, c.format.header))
                    synthetic.add((system, day, data.name))
        checking = _relaxed(contracts, in_sample)
        skipped_fks = sorted({f"{c.key} → {fk.ref_key}" for c in contracts.contracts if c.key in in_sample
                              for fk in c.foreign_keys if fk.ref_key not in in_sample})
        if skipped_fks:
            report.notes.append("foreign keys not checked (the referenced extract is not in the sample): "
                                + "; ".join(skipped_fks))
        con = duckdb.connect(":memory:")
        try:
            from ingest.loader import ingest_deliveries

            work = tmp / "work"
            work.mkdir()
            ingest_deliveries(con, landing, contracts=checking, work_dir=work, progress=False, workers=1)
            _collect(con, report, contracts, synthetic)
        finally:
            con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report


def _relaxed(contracts: ContractSet, in_sample: set[str]) -> ContractSet:
    """The contracts as the check applies them: no reject-ratio stop, no foreign keys to extracts outside the sample."""
    relaxed = [replace(c, max_reject_ratio=1.0,
                       foreign_keys=tuple(fk for fk in c.foreign_keys if fk.ref_key in in_sample))
               for c in contracts.contracts]
    return replace(contracts, contracts=tuple(relaxed))


def _collect(con: duckdb.DuckDBPyConnection, report: CheckReport, contracts: ContractSet,
             synthetic: set[tuple[str, date, str]]) -> None:
    latest = con.execute(
        "SELECT batch_id, system, business_date, status, reason FROM audit.deliveries d WHERE batch_id = "
        "(SELECT max(batch_id) FROM audit.deliveries e WHERE e.system = d.system "
        "AND e.business_date = d.business_date) ORDER BY business_date, batch_id").fetchall()
    for batch_id, system, day, status, reason in latest:
        over = [name for name, read, rejected, ratio in _shares(con, contracts, batch_id, system)
                if read and rejected / read > ratio]
        if status == "LOADED" and over:
            status, reason = "REJECTED", f"too many rejected rows in {', '.join(over)} (over the contract's ratio)"
        report.deliveries.append((system, day, status, reason))
        files = con.execute(
            "SELECT file_name, extract, rows_read, rows_loaded, rows_rejected, status, reason "
            "FROM audit.delivery_files WHERE batch_id = ? ORDER BY file_name", [batch_id]).fetchall()
        for name, extract, read, loaded, rejected, file_status, file_reason in files:
            if name.endswith(CONTROL_SUFFIX) and (system, day, name) in synthetic:
                continue
            fr = FileReport(system, day, name, extract, rows_read=read, rows_loaded=loaded, rows_rejected=rejected,
                            status=file_status, reason=file_reason)
            contract = _contract(contracts, system, extract)
            if contract is not None:
                fr.encoding = contract.format.encoding
                fr.columns = len(contract.columns)
                fr.max_reject_ratio = contract.max_reject_ratio
            if (system, day, name) in synthetic:
                fr.notes.append(f"no control file {name.rsplit('.', 1)[0]}{CONTROL_SUFFIX}: checked as if it had a "
                                "correct one (the loader rejects a data file without its control file)")
                fr.notes_are_errors = True
            fr.bad_lines = [tuple(r) for r in con.execute(  # type: ignore[misc]
                "SELECT line_number, column_name, reason_code, reason FROM audit.rejected_rows "
                "WHERE batch_id = ? AND file_name = ? ORDER BY line_number, column_name LIMIT ?",
                [batch_id, name, FIRST_BAD_LINES]).fetchall()]
            if contract is not None and file_status == "LOADED":
                fr.bad_codes = _bad_codes(con, contract, batch_id)
            report.files.append(fr)


def _shares(con: duckdb.DuckDBPyConnection, contracts: ContractSet, batch_id: int,
            system: str) -> list[tuple[str, int, int, float]]:
    """(file, rows read, rows rejected, the contract's reject ratio) of the delivery's files."""
    out = []
    for name, extract, read, rejected in con.execute(
            "SELECT file_name, extract, rows_read, rows_rejected FROM audit.delivery_files WHERE batch_id = ?",
            [batch_id]).fetchall():
        contract = _contract(contracts, system, extract)
        if contract is not None:
            out.append((name, int(read or 0), int(rejected or 0), contract.max_reject_ratio))
    return out


def _contract(contracts: ContractSet, system: str, extract: str | None) -> Contract | None:
    if extract is None:
        return None
    try:
        return contracts.get(f"{system}.{extract}")
    except KeyError:
        return None


def _bad_codes(con: duckdb.DuckDBPyConnection, contract: Contract, batch_id: int) -> list[tuple[str, str, int,
                                                                                               list[str]]]:
    out = []
    for col in contract.columns:
        if not col.codes:
            continue
        ident = quote_ident(col.name)
        listed = ", ".join(sql_str(c) for c in col.codes)
        for value, rows in con.execute(
            f"SELECT CAST({ident} AS VARCHAR), count(*) FROM raw.{quote_ident(contract.raw_table)} "
            f"WHERE _batch_id = ? AND {ident} IS NOT NULL AND CAST({ident} AS VARCHAR) NOT IN ({listed}) "
            f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {CODE_VALUES_SHOWN}", [batch_id]).fetchall():
            out.append((col.name, value, int(rows), list(col.codes)))
    return out
