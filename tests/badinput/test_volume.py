"""Volume and continuity (issue 13.12): an empty or far-too-small extract on a business day passes every file and
row check; it loads, with a warning naming the file, recorded in audit.delivery_warnings and shown in the summary."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from contracts.contract import ContractSet
from ingest.loader import ingest_landing

from support.minibank import build_landing

TXN = "core.transactions"
TXN_PER_DAY = 300


def _landing(tmp_path: Path, contracts: ContractSet, days: int) -> tuple[Path, list[date]]:
    """The small bank's three days, and its transactions repeated under later dates (D3's other systems)."""
    landing = build_landing(tmp_path / "landing", contracts)
    base = date(2025, 2, 1)
    extra = [base + timedelta(days=i) for i in range(1, days + 1)]
    for day in extra:
        for system in contracts.systems:
            src = landing / system / f"{base:%Y%m%d}"
            dst = landing / system / f"{day:%Y%m%d}"
            dst.mkdir()
            for contract in contracts.for_system(system):
                if not contract.delivered_on(day):
                    continue
                data = (src / contract.file_name(base)).read_bytes().replace(
                    f"{base:%Y%m%d}".encode(), f"{day:%Y%m%d}".encode())
                _write(contracts, contract.key, dst, day, data)
    return landing, extra


def _write(contracts: ContractSet, key: str, folder: Path, day: date, data: bytes) -> None:
    from contracts.control import write_control_file

    c = contracts.get(key)
    path = folder / c.file_name(day)
    path.write_bytes(data)
    lines = data.count(b"\n")
    write_control_file(path, day, lines - (1 if c.format.header and lines else 0))


@pytest.mark.parametrize("method", ["batch", "one_at_a_time"])
def test_empty_and_small_extracts_are_warnings(tmp_path: Path, contracts: ContractSet, method: str) -> None:
    landing, extra = _landing(tmp_path, contracts, 7)
    c = contracts.get(TXN)
    empty_day, small_day = extra[5], extra[6]
    _write(contracts, TXN, landing / "core" / f"{empty_day:%Y%m%d}", empty_day, b"")  # control file says 0
    full = (landing / "core" / f"{small_day:%Y%m%d}" / c.file_name(small_day)).read_bytes().split(b"\n")
    _write(contracts, TXN, landing / "core" / f"{small_day:%Y%m%d}", small_day, b"\n".join(full[:40]) + b"\n")
    warehouse = tmp_path / "wh.duckdb"
    report = ingest_landing(landing, warehouse, progress=False, method=method)
    assert not report.rejected, report.summary()
    by_day = {(o.system, o.business_date): o for o in report.outcomes}
    empty_file, small_file = c.file_name(empty_day), c.file_name(small_day)
    assert by_day[("core", empty_day)].warnings == [
        f"{empty_file}: 0 records, where the delivery of {extra[4]:%Y-%m-%d} had 300 (an empty extract on a business "
        "day?)"]
    # transactions are incremental: their first delivery (which may carry everything) is left out of the history
    assert by_day[("core", small_day)].warnings == [
        f"{small_file}: 40 records, under 20% of the median 300 of the 8 deliveries before it (a partial extract?)"]
    assert [o for o in report.outcomes if o.warnings and o.business_date not in (empty_day, small_day)] == []
    summary = report.summary()
    assert f"warning: core {empty_day:%Y-%m-%d}: {empty_file}: 0 records" in summary
    assert f"warning: core {small_day:%Y-%m-%d}: {small_file}: 40 records" in summary
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT business_date, extract, file_name, warning_code, record_count, "
                           "previous_record_count FROM audit.delivery_warnings ORDER BY business_date").fetchall()
    assert rows == [(empty_day, "transactions", empty_file, "EMPTY_AFTER_VOLUME", 0, 300),
                    (small_day, "transactions", small_file, "LOW_VOLUME", 40, 0)]
    # a run that loads nothing adds no warning
    again = ingest_landing(landing, warehouse, progress=False, method=method)
    assert all(not o.warnings for o in again.outcomes)


def test_a_quiet_day_after_the_first_full_delivery_is_no_warning(contracts: ContractSet) -> None:
    """Customers are incremental: the first delivery carries all of them, the next ones only the day's changes, and a
    day without changes is normal. A full extract (branches) with 0 records after 150 is a warning."""
    import duckdb

    from ingest import audit, volume

    con = duckdb.connect()
    audit.ensure_schema(con, contracts.contracts)
    rows = []
    for batch, (extract, day, n) in enumerate([("customers", 1, 150), ("customers", 2, 0), ("branches", 1, 150),
                                               ("branches", 2, 0)], start=1):
        system = "core" if extract == "customers" else "ref"
        rows.append({"batch_id": batch, "system": system, "business_date": date(2025, 1, day), "extract": extract,
                     "file_name": f"{extract}_{day}", "control_record_count": n, "status": "LOADED"})
    audit.insert_files(con, rows)
    assert volume.record_warnings(con, [2, 4], contracts) == {
        4: ["branches_2: 0 records, where the delivery of 2025-01-01 had 150 (an empty extract on a business day?)"]}


def test_extracts_that_arrive_in_bursts_are_left_out(contracts: ContractSet) -> None:
    """A campaign's contacts stop when it ends (``volume_check: false`` in the contract): 0 contacts after 150 is
    no warning; the same for transactions is."""
    import duckdb

    from ingest import audit, volume

    con = duckdb.connect()
    audit.ensure_schema(con, contracts.contracts)
    rows = []
    for batch, (system, extract, day, n) in enumerate(
            [("marketing", "contacts", 1, 10), ("marketing", "contacts", 2, 150), ("marketing", "contacts", 3, 0),
             ("core", "transactions", 1, 10), ("core", "transactions", 2, 150), ("core", "transactions", 3, 0)],
            start=1):
        rows.append({"batch_id": batch, "system": system, "business_date": date(2025, 1, day), "extract": extract,
                     "file_name": f"{extract}_{day}", "control_record_count": n, "status": "LOADED"})
    audit.insert_files(con, rows)
    assert volume.record_warnings(con, [3, 6], contracts) == {
        6: ["transactions_3: 0 records, where the delivery of 2025-01-02 had 150 (an empty extract on a business "
            "day?)"]}


def test_status_shows_a_volume_warning_beside_the_loaded_day(tmp_path: Path, contracts: ContractSet) -> None:
    """`crmwh status` lists a loaded day with a volume warning among what needs attention; the exit code stays 0
    (the delivery is loaded), as for ingest."""
    from click.testing import CliRunner

    from contracts.errors import ExitCode
    from crmwh.cli import cli

    landing, extra = _landing(tmp_path, contracts, 6)
    empty_day = extra[5]
    _write(contracts, TXN, landing / "core" / f"{empty_day:%Y%m%d}", empty_day, b"")
    warehouse = tmp_path / "served" / "crmwh.duckdb"
    common = ["--landing", str(landing), "--warehouse", str(warehouse)]
    ingested = CliRunner().invoke(cli, ["ingest", "--quiet", *common])
    assert ingested.exit_code == ExitCode.OK, ingested.output
    status = CliRunner().invoke(cli, ["status", *common])
    assert status.exit_code == ExitCode.OK, status.output
    file_name = contracts.get(TXN).file_name(empty_day)
    assert (f"  {empty_day:%Y-%m-%d} core       LOADED" in status.output
            and f"volume warning: {file_name}: 0 records, where the delivery of {extra[4]:%Y-%m-%d} had 300"
            in status.output), status.output
    assert next(line for line in status.output.splitlines() if "volume warning" in line).startswith(
        f"  {empty_day:%Y-%m-%d} core")
