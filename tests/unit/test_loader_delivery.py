"""A clean landing area loads whole: row counts, typed values, lineage, audit records, and a no-op second run."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from contracts.contract import ContractSet
from ingest.loader import IngestError, discover, ingest_deliveries, ingest_landing
from ingest.report import IngestReport

from support.deliveries import Bank
from support.minibank import D1, D2, D3, expected_rows


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, minibank_landing: Path,
           contracts: ContractSet) -> Iterator[tuple[Bank, IngestReport, datetime]]:
    """The whole small bank, loaded once for the tests that only look (they must not change it)."""
    base = tmp_path_factory.mktemp("loaded")
    landing = base / "landing"
    shutil.copytree(minibank_landing, landing)
    bank = Bank(landing, base / "wh.duckdb", contracts, minibank_landing)
    started = datetime.now(UTC).replace(tzinfo=None)
    report = bank.ingest()
    yield bank, report, started
    bank.close()


@pytest.fixture
def fresh(tmp_path: Path, minibank_landing: Path, contracts: ContractSet) -> Iterator[Bank]:
    landing = tmp_path / "landing"
    shutil.copytree(minibank_landing, landing)
    bank = Bank(landing, tmp_path / "wh.duckdb", contracts, minibank_landing)
    yield bank
    bank.close()


def test_every_delivery_loads_with_the_rows_the_bank_sent(loaded: tuple[Bank, IngestReport, datetime],
                                                         contracts: ContractSet) -> None:
    fresh, report, _ = loaded
    assert [(o.system, o.business_date, o.outcome) for o in report.outcomes] == [
        (s, d, "LOADED") for d in (D1, D2, D3) for s in ("ref", "core", "cards", "accounting", "marketing")
    ]
    assert not report.rejected
    expected = expected_rows(contracts)
    assert {t: fresh.count(t) for t in expected} == expected
    assert report.rows_loaded == sum(expected.values())
    assert report.rows_rejected == 0
    assert fresh.scalar("SELECT count(*) FROM audit.rejected_rows") == 0


def test_values_are_typed_exactly(loaded: tuple[Bank, IngestReport, datetime]) -> None:
    fresh = loaded[0]
    row = fresh.query(
        "SELECT txn_id, txn_date, amount, fee_amount, counterparty_name, _line_number FROM raw.core__transactions "
        "WHERE txn_id = 'T2025013000000005'"
    )
    # i = 5: amount = (5*37 % 100000) * 0.25 = 46.25, fee 0.00, a counterparty name holding the '|' delimiter
    assert row == [("T2025013000000005", D1, Decimal("46.25"), Decimal("0.00"), "北京|某某商贸", 5)]
    total = fresh.scalar("SELECT sum(amount) FROM raw.core__transactions WHERE _business_date = ?", [D1])
    assert total == sum(Decimal((i * 37) % 100000) * Decimal("0.25") for i in range(1, 301))
    types = dict(fresh.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'raw' AND table_name = 'core__loans'"))
    assert types["outstanding_principal"] == "DECIMAL(18,2)"
    assert types["pd"] == "DECIMAL(9,6)"
    assert types["days_past_due"] == "BIGINT"
    assert types["as_of_date"] == "DATE"
    assert fresh.query("SELECT five_class FROM raw.core__loans WHERE loan_account_no = 'L000000000000005' "
                       "ORDER BY _business_date") == [("正常",), ("正常",), ("关注",)]


def test_fixed_width_gbk_fields_are_sliced_by_bytes(loaded: tuple[Bank, IngestReport, datetime]) -> None:
    fresh = loaded[0]
    rows = fresh.query(
        "SELECT entry_id, account_code, amount, description, _line_number FROM raw.accounting__ledger_entries "
        "WHERE _business_date = ? AND entry_id IN ('GL202501300000000003', 'GL202501300000000001') ORDER BY 1", [D1])
    assert rows == [
        ("GL202501300000000001", "2211", Decimal("1979.75"), None, 1),
        ("GL202501300000000003", "6411", Decimal("5939.25"), "工资发放3", 3),
    ]
    names = dict(fresh.query("SELECT account_code, account_name FROM raw.accounting__chart_of_accounts "
                             "WHERE _business_date = ?", [D1]))
    assert names["660101"] == "业务及管理费-职工薪酬"


def test_every_raw_row_carries_its_lineage(loaded: tuple[Bank, IngestReport, datetime]) -> None:
    fresh = loaded[0]
    batches = {(d["system"], d["business_date"]): d["batch_id"] for d in fresh.deliveries()}
    rows = fresh.query(
        "SELECT _batch_id, _business_date, _source_file, min(_line_number), max(_line_number), count(*), "
        "count(DISTINCT _line_number) FROM raw.cards__card_transactions GROUP BY ALL ORDER BY 2")
    assert rows == [
        (batches[("cards", d)], d, f"card_txns_{d:%Y%m%d}.csv", 2, 201, 200, 200) for d in (D1, D2, D3)
    ]  # header is line 1
    line = fresh.lines("cards.card_transactions", D2)[57 - 1]  # lines() includes the header: index 56 is line 57
    txn = fresh.scalar("SELECT card_txn_id FROM raw.cards__card_transactions WHERE _business_date = ? "
                       "AND _line_number = 57", [D2])
    assert line.startswith(txn + ",")
    assert fresh.scalar("SELECT count(*) FROM raw.core__customers WHERE _loaded_at IS NULL") == 0


def test_audit_records_each_delivery_and_file(loaded: tuple[Bank, IngestReport, datetime]) -> None:
    fresh, _, before = loaded
    deliveries = fresh.deliveries("core")
    assert [(d["business_date"], d["status"], d["files"], d["rows_loaded"], d["rows_rejected"]) for d in deliveries] \
        == [(D1, "LOADED", 7, 925, 0), (D2, "LOADED", 8, 621, 0), (D3, "LOADED", 7, 340, 0)]
    d1 = deliveries[0]
    assert d1["control_records"] == d1["rows_read"] == d1["rows_loaded"]
    assert d1["started_at"] >= before.replace(microsecond=0) and d1["finished_at"] >= d1["started_at"]
    assert d1["duration_seconds"] >= 0 and d1["reason"] is None and d1["replaced_batch_id"] is None
    files = fresh.query(
        "SELECT extract, file_name, byte_size, md5, control_record_count, control_byte_size, control_md5, rows_read, "
        "rows_loaded, rows_rejected, status FROM audit.delivery_files WHERE batch_id = ? ORDER BY file_name",
        [d1["batch_id"]])
    path = fresh.data_path("core.transactions", D1)
    md5 = hashlib.md5(path.read_bytes()).hexdigest()
    assert ("transactions", path.name, path.stat().st_size, md5, 300, path.stat().st_size, md5, 300, 300, 0,
            "LOADED") in files
    by_file_name = ["balances", "accounts", "account_parties", "customers", "customer_rm_shares", "loans",
                    "transactions"]
    assert [f[0] for f in files] == by_file_name


def test_second_run_changes_nothing(fresh: Bank) -> None:
    fresh.ingest()
    snapshot = fresh.snapshot()
    audit_before = fresh.query("SELECT count(*) FROM audit.deliveries UNION ALL SELECT count(*) FROM "
                               "audit.delivery_files")
    report = fresh.ingest()
    assert [o.outcome for o in report.outcomes] == ["ALREADY_LOADED"] * 15
    assert report.rows_loaded == 0 and not report.rejected
    assert fresh.snapshot() == snapshot
    assert fresh.query("SELECT count(*) FROM audit.deliveries UNION ALL SELECT count(*) FROM "
                       "audit.delivery_files") == audit_before
    assert "0 deliveries loaded, 15 already loaded" in report.summary()


def test_copied_landing_is_recognised_by_content(fresh: Bank, tmp_path: Path) -> None:
    fresh.ingest()
    moved = tmp_path / "elsewhere"
    shutil.copytree(fresh.landing, moved, copy_function=shutil.copyfile)  # new mtimes: fingerprints differ
    report = ingest_landing(moved, fresh.warehouse, progress=False)
    assert [o.outcome for o in report.outcomes] == ["ALREADY_LOADED"] * 15


def test_systems_filter_and_ignored_entries(fresh: Bank) -> None:
    (fresh.landing / "core" / "notes.txt").write_text("not a delivery", encoding="utf-8")
    (fresh.landing / "core" / "20250230").mkdir()  # not a date
    report = fresh.ingest(systems=["ref"])
    assert [(o.system, o.outcome) for o in report.outcomes] == [("ref", "LOADED")] * 3
    report = fresh.ingest(systems=["ref", "core"])
    assert [(o.system, o.outcome) for o in report.outcomes] == [("ref", "ALREADY_LOADED"), ("core", "LOADED")] * 3
    assert any("notes.txt" in w for w in report.warnings) and any("20250230" in w for w in report.warnings)
    with pytest.raises(IngestError, match="unknown system"):
        fresh.ingest(systems=["crm"])
    with pytest.raises(IngestError, match="does not exist"):
        ingest_landing(fresh.landing / "missing", fresh.warehouse, progress=False)


def test_deliveries_are_ordered_by_date_then_system(fresh: Bank, contracts: ContractSet) -> None:
    deliveries, warnings = discover(fresh.landing, contracts, None)
    assert [(d.business_date, d.system) for d in deliveries][:6] == [
        (D1, "ref"), (D1, "core"), (D1, "cards"), (D1, "accounting"), (D1, "marketing"), (D2, "ref")]
    assert warnings == []  # _manifest.json is not a system folder: silently ignored


def test_python_api_on_an_open_connection(fresh: Bank, contracts: ContractSet) -> None:
    con = duckdb.connect(str(fresh.warehouse))
    try:
        report = ingest_deliveries(con, fresh.landing, systems=["ref"], contracts=contracts)
        assert len(report.loaded) == 3
        assert con.execute("SELECT count(*) FROM raw.ref__branches").fetchone() == (12,)
        # the loader's scratch tables are gone
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_crmwh%'").fetchone() == (0,)
    finally:
        con.close()


def test_summary_names_rows_and_speed(loaded: tuple[Bank, IngestReport, datetime]) -> None:
    report = loaded[1]
    text = report.summary()
    assert text.startswith("ingest: 15 deliveries loaded, 0 already loaded (skipped), 0 rejected, 0 refused, 0 held; ")
    assert f"{report.rows_loaded:,} rows loaded, 0 rows rejected" in text
    assert date(2025, 1, 30) == D1


def test_concurrent_and_sequential_loads_agree(tmp_path: Path, minibank_landing: Path, contracts: ContractSet) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(minibank_landing, landing)
    # a bad row, so that the rejected-rows path runs concurrently too
    bad = Bank(landing, tmp_path / "unused.duckdb", contracts, minibank_landing)
    bad.edit_field("core.transactions", D2, 7, "amount", "7,00")
    results = []
    for workers in (1, 2):
        bank = Bank(landing, tmp_path / f"wh{workers}.duckdb", contracts, minibank_landing)
        report = bank.ingest(workers=workers)
        assert len(report.loaded) == 15
        audit_rows = bank.query(
            "SELECT batch_id, system, business_date, status, rows_loaded, rows_rejected FROM audit.deliveries "
            "ORDER BY batch_id")
        rejected = bank.query("SELECT * FROM audit.rejected_rows ORDER BY ALL")
        results.append((bank.snapshot(), audit_rows, rejected, [(o.system, o.batch_id) for o in report.outcomes]))
        bank.close()
    assert results[0] == results[1]
    assert len(results[0][2]) == 1
