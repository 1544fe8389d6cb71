"""The set-based batch loads exactly what loading one delivery at a time loads: the same raw rows, audit records,
batch ids and outcomes, on a generated bank with defects of every kind (rows, keys, files), loaded at once, in steps,
and with a reload."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from contracts.contract import ContractSet
from contracts.control import write_control_file
from ingest.loader import BATCH, ONE_AT_A_TIME, ingest_landing
from ingest.report import IngestReport
from synth.bank import generate_bank
from synth.defects import parse_defect

START = date(2025, 1, 27)
DAYS = 8  # 2025-01-27 … 2025-02-03: a month end (interest accruals, card statements) inside
# Each hits its own file; the dated ones fail their delivery early enough for later ones of the system to be held. A
# failed ref delivery holds every system from its date on (they refer to ref): the ref defects come late.
DEFECTS = ("bad_rows:core:20250129", "orphan_foreign_key:cards:20250130", "duplicate_key:accounting:20250128",
           "checksum_mismatch:ref:20250201", "orphan_foreign_key:core:20250131", "bad_rows:cards:20250203",
           "truncated_file:ref:20250202")
# wall-clock columns: the only ones allowed to differ
CLOCK = {"_loaded_at", "started_at", "finished_at", "duration_seconds", "superseded_at"}
ERROR_PREFIX = "load failed and was rolled back: "


def _same_error(value: Any) -> Any:
    """A load error's reason down to the exception's class: DuckDB's message quotes the failing statement (with its
    load timestamp) and suggests table names the connection has, which differ between the two ways of loading."""
    if isinstance(value, str) and value.startswith(ERROR_PREFIX):
        return ERROR_PREFIX + value.removeprefix(ERROR_PREFIX).split(":", 1)[0]
    return value


@pytest.fixture(scope="module")
def defective_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("defective") / "landing"
    generate_bank(scale=0.01, start=START, days=DAYS, seed=5, out=out, progress=False,
                  defects=[parse_defect(d) for d in DEFECTS])
    return out


def _state(warehouse: Path) -> dict[str, list[tuple]]:
    """Every row of every raw and audit table, but the wall-clock columns, in a stable order."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('raw', 'audit') "
            "AND table_type = 'BASE TABLE' ORDER BY ALL").fetchall()
        state = {}
        for schema, table in tables:
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                "ORDER BY ordinal_position", [schema, table]).fetchall() if c not in CLOCK]
            select = ", ".join(f'"{c}"' for c in cols)
            rows = con.execute(f'SELECT {select} FROM {schema}."{table}" ORDER BY ALL').fetchall()
            state[f"{schema}.{table}"] = [tuple(_same_error(v) for v in row) for row in rows]
    return state


def _outcomes(report: IngestReport) -> list[tuple[Any, ...]]:
    return [(o.system, o.business_date, o.outcome, _same_error(o.reason), o.batch_id, o.replaced_batch_id, o.files,
             o.rows_loaded, o.rows_rejected, o.recorded) for o in report.outcomes]


class Twins:
    """The same landing area ingested into two warehouses, by the batch and one delivery at a time."""

    def __init__(self, landing: Path, base: Path) -> None:
        self.landing = landing
        self.warehouses = {m: base / f"{m}.duckdb" for m in (BATCH, ONE_AT_A_TIME)}

    def ingest(self, **kwargs: Any) -> IngestReport:
        """Ingest with both methods; the outcomes and the warehouses must agree. Returns the reference's report."""
        reports = {m: ingest_landing(self.landing, wh, progress=False, method=m, **kwargs)
                   for m, wh in self.warehouses.items()}
        assert _outcomes(reports[BATCH]) == _outcomes(reports[ONE_AT_A_TIME])
        batch, reference = (_state(self.warehouses[m]) for m in (BATCH, ONE_AT_A_TIME))
        assert batch.keys() == reference.keys()
        for table in reference:
            assert batch[table] == reference[table], table
        return reports[ONE_AT_A_TIME]


@pytest.fixture
def twins(tmp_path: Path, defective_landing: Path) -> Iterator[Twins]:
    landing = tmp_path / "landing"
    shutil.copytree(defective_landing, landing)
    yield Twins(landing, tmp_path)


def test_batch_agrees_with_one_at_a_time_on_a_defective_bank(twins: Twins) -> None:
    report = twins.ingest()
    outcomes = {o.outcome for o in report.outcomes}
    # the bank exercises what the batch must get right: rejected deliveries, held ones, loads with rejected rows
    assert {"LOADED", "REJECTED", "HELD"} <= outcomes, report.summary()
    assert any(o.outcome == "LOADED" and o.rows_rejected for o in report.outcomes), report.summary()
    assert any(o.outcome == "REJECTED" and o.rows_rejected for o in report.outcomes), report.summary()
    # a second run changes nothing, in either warehouse
    again = twins.ingest()
    assert not any(o.outcome == "LOADED" for o in again.outcomes)


def test_batch_agrees_when_loading_in_steps_and_reloading(twins: Twins, contracts: ContractSet) -> None:
    held = twins.landing.parent / "held"
    later = [d for s in contracts.systems for d in sorted((twins.landing / s).iterdir())
             if d.name >= f"{date(2025, 1, 31):%Y%m%d}"]
    for d in later:
        (held / d.parent.name).mkdir(parents=True, exist_ok=True)
        d.rename(held / d.parent.name / d.name)
    first = twins.ingest()
    assert any(o.outcome == "LOADED" for o in first.outcomes)
    for d in later:
        (held / d.parent.name / d.name).rename(d)
    # a loaded delivery changes: its last transaction is dropped (control file rewritten to match)
    day = date(2025, 1, 28)
    txn = contracts.get("core.transactions")
    path = twins.landing / "core" / f"{day:%Y%m%d}" / txn.file_name(day)
    lines = path.read_bytes().split(b"\n")[:-1]
    path.write_bytes(b"".join(line + b"\n" for line in lines[:-1]))
    write_control_file(path, day, len(lines) - 1)
    refused = twins.ingest()
    assert any(o.outcome == "REFUSED" for o in refused.outcomes), refused.summary()
    reloaded = twins.ingest(reload=True)
    replaced = [o for o in reloaded.outcomes if o.replaced_batch_id is not None]
    assert [(o.system, o.business_date, o.outcome) for o in replaced] == [("core", day, "LOADED")]


def test_batch_agrees_when_a_file_cannot_be_read(twins: Twins, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.attempt
    import ingest.batch

    day = date(2025, 1, 28)  # before the bad rows of core on the 29th

    def failing(real):  # type: ignore[no-untyped-def]
        def scan(contract, business_date, data_path, *args, **kwargs):  # type: ignore[no-untyped-def]
            if contract.key == "core.balances" and business_date == day:
                raise PermissionError(f"[Errno 13] Permission denied: '{data_path}'")
            return real(contract, business_date, data_path, *args, **kwargs)
        return scan

    monkeypatch.setattr(ingest.attempt, "scan_file", failing(ingest.attempt.scan_file))
    monkeypatch.setattr(ingest.batch, "scan_file", failing(ingest.batch.scan_file))
    report = twins.ingest()
    failed = [o for o in report.outcomes if o.system == "core" and o.business_date == day]
    assert [o.outcome for o in failed] == ["REJECTED"]
    assert failed[0].reason.startswith("checking failed: PermissionError: ")  # type: ignore[union-attr]


def test_batch_agrees_in_small_passes(twins: Twins, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.batch

    monkeypatch.setattr(ingest.batch, "PASS_BYTES", 200_000)  # a few deliveries per pass: many commits in one run
    report = twins.ingest()
    assert {"LOADED", "REJECTED", "HELD"} <= {o.outcome for o in report.outcomes}


def test_batch_agrees_when_a_load_fails_and_more_passes_follow(twins: Twins, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.attempt
    import ingest.batch
    from ingest import rowsql

    def failing(real):  # type: ignore[no-untyped-def]
        def insert(contract, *args, **kwargs):  # type: ignore[no-untyped-def]
            sql = real(contract, *args, **kwargs)
            return sql.replace("FROM (", "FROM no_such_table, (") if "LOAN_INFO_20250128" in sql else sql
        return insert

    monkeypatch.setattr(ingest.attempt, "insert_raw_sql", failing(rowsql.insert_raw_sql))
    monkeypatch.setattr(ingest.batch, "insert_raw_many_sql", failing(rowsql.insert_raw_many_sql))
    monkeypatch.setattr(ingest.batch, "PASS_BYTES", 200_000)
    report = twins.ingest()
    failed = [o for o in report.outcomes if o.system == "core" and o.business_date == date(2025, 1, 28)]
    assert [o.outcome for o in failed] == ["REJECTED"]
    assert failed[0].reason.startswith("load failed and was rolled back: ")  # type: ignore[union-attr]
    assert any(o.outcome == "LOADED" and o.business_date > date(2025, 1, 28) for o in report.outcomes)


def test_batch_agrees_on_the_checks_of_issue_13(twins: Twins, contracts: ContractSet) -> None:
    """A reused customer number, an implausible amount, a UTF-8 line in a GBK file and a stray link: the batch
    decides and records each exactly as loading one delivery at a time does."""
    day = date(2025, 1, 28)  # core loads that day; later days of core are held by the defects

    def rewrite(key: str, change: Any) -> None:
        c = contracts.get(key)
        path = twins.landing / c.system / f"{day:%Y%m%d}" / c.file_name(day)
        lines = change(path.read_bytes().split(b"\n")[:-1])
        path.write_bytes(b"".join(line + b"\n" for line in lines))
        write_control_file(path, day, len(lines) - (1 if c.format.header else 0))

    cust = contracts.get("core.customers")
    fields = (twins.landing / "core" / f"{START:%Y%m%d}" / cust.file_name(START)).read_bytes().split(b"\n")[0]
    reused = fields.split(b"|")
    reused[1] = b"C" if reused[1] == b"P" else b"P"  # the same number as another party
    rewrite("core.customers", lambda ls: [*ls, b"|".join(reused)])

    def huge_and_utf8(ls: list[bytes]) -> list[bytes]:
        fields = ls[3].split(b"|")
        fields[7] = b"9999999999999999.99"
        chinese = next(i for i, line in enumerate(ls) if i > 3 and not line.isascii())
        ls[chinese] = ls[chinese].decode("gbk").encode("utf-8")
        return [*ls[:3], b"|".join(fields), *ls[4:]]

    rewrite("core.transactions", huge_and_utf8)
    (twins.landing / "accounting" / f"{day:%Y%m%d}" / "README").symlink_to("/nonexistent")  # no system refers to it
    report = twins.ingest()
    with duckdb.connect(str(twins.warehouses[BATCH]), read_only=True) as con:
        codes = dict(con.execute("SELECT reason_code, count(*) FROM audit.rejected_rows WHERE business_date = ? "
                                 "GROUP BY ALL", [day]).fetchall())
    assert {"IDENTITY_CHANGED", "RANGE", "ENCODING"} <= set(codes), (codes, report.summary())
    assert any("README: a symbolic link" in (o.reason or "") for o in report.outcomes), report.summary()
