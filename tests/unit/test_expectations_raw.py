"""Raw-layer suites on the contract-driven fixture: clean data passes, broken data fails naming the expectation."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from contracts.contract import load_contracts
from expectations import Severity, ValidationError, loaded_batch_ids, run_validation
from expectations.config import load_config

from support.quality_fixture import breaking_sql, build_raw_fixture

CONTRACTS = load_contracts()
CONFIG = load_config(contracts=CONTRACTS)


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    path = tmp_path_factory.mktemp("quality") / "fixture.duckdb"
    batches = build_raw_fixture(path, contracts=CONTRACTS, cfg=CONFIG)
    return path, sorted(batches.values())


def _copy(clean_db: tuple[Path, list[int]], tmp_path: Path, *sql: str) -> Path:
    target = tmp_path / "copy.duckdb"
    shutil.copyfile(clean_db[0], target)
    if sql:
        con = duckdb.connect(str(target))
        try:
            for statement in sql:
                con.execute(statement)
        finally:
            con.close()
    return target


def _table_fingerprints(path: Path) -> dict[str, tuple[int, int]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('raw', 'audit') AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
        out = {}
        for (name,) in tables:
            row = con.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {name} t").fetchone()
            out[name] = (int(row[0]), int(row[1]))  # type: ignore[index]
        return out
    finally:
        con.close()


def test_clean_fixture_passes_and_is_recorded(clean_db: tuple[Path, list[int]], tmp_path: Path) -> None:
    db = _copy(clean_db, tmp_path)
    before = _table_fingerprints(db)
    report = run_validation(db, stages=("raw",), run_id="clean-run")
    assert report.passed, report.summary()
    assert report.warnings == []
    # every LOADED delivery, not the REJECTED one the fixture also holds
    assert list(report.batch_ids) == clean_db[1]
    assert len({o.suite for o in report.outcomes}) == len(CONTRACTS.contracts)
    assert _table_fingerprints(db) == before  # validation reads; it changes no data
    con = duckdb.connect(str(db))  # read-write in this process: GX let go of the file
    try:
        rows = con.execute(
            "SELECT count(*), count(DISTINCT expectation), bool_and(success), min(run_id), max(run_id) "
            "FROM quality.validation_results"
        ).fetchone()
        assert rows == (len(report.outcomes), len(report.outcomes), True, "clean-run", "clean-run")
        run = con.execute("SELECT passed, expectations, critical_failures FROM quality.validation_runs").fetchone()
        assert run == (True, len(report.outcomes), 0)
        validated = [r[0] for r in con.execute("SELECT batch_id FROM quality.validated_batches ORDER BY 1").fetchall()]
        assert validated == clean_db[1]
        latest = con.execute("SELECT count(*), min(run_id) FROM quality.latest_results").fetchone()
        assert latest == (len(report.outcomes), "clean-run")
    finally:
        con.close()
    again = run_validation(db, stages=("raw",), run_id="second-run")
    assert again.passed and again.batch_ids == () and again.outcomes == ()
    assert any("nothing to check" in n for n in again.notes)
    assert loaded_batch_ids(db) == clean_db[1]  # what a "validate everything again" run passes as batch_ids


@pytest.mark.parametrize(
    "name",
    [
        "raw.core__accounts.row_count_matches_control",
        "raw.core__accounts.not_null.cif_no",
        "raw.core__accounts.fk.currency",  # the bank's currencies: those of its FX extract (bank profile)
        "raw.cards__cards.codes.id_type",
        "raw.core__customers.unique_key",
        "raw.core__accounts.fk.cif_no",
        "raw.cards__card_transactions.fk.card_no",
        "raw.accounting__ledger_entries.fk.cost_centre_code",
        "raw.core__transactions.range.amount",
        "raw.core__loans.range.pd",
        "raw.core__transactions.date.txn_date",
        "raw.core__interest_accruals.date.accrual_month",
        "raw.core__customers.date.open_date",
        "raw.cards__cards.date.expiry_date",
    ],
)
def test_breaking_a_critical_expectation_fails_validation(
    name: str, clean_db: tuple[Path, list[int]], tmp_path: Path
) -> None:
    db = _copy(clean_db, tmp_path, *breaking_sql(name, CONTRACTS, CONFIG))
    suite = ".".join(name.split(".")[:2])
    report = run_validation(db, stages=("raw",), batch_ids=clean_db[1], suites=[suite], record=False)
    assert not report.passed
    failed = {o.name: o for o in report.outcomes if not o.success}
    assert name in failed, report.summary()
    assert failed[name].severity is Severity.CRITICAL
    assert any(label.startswith(f"{name} (") for label in report.critical_failures)
    assert name in report.summary()


def test_the_curve_history_may_come_with_the_first_delivery_only(clean_db: tuple[Path, list[int]],
                                                                 tmp_path: Path) -> None:
    name = "raw.ref__ftp_curve.date.curve_date"
    first = "(SELECT min(business_date) FROM audit.deliveries WHERE system = 'ref' AND status = 'LOADED')"
    (tmp_path / "history").mkdir()
    history = _copy(clean_db, tmp_path / "history",
                    f"UPDATE raw.ref__ftp_curve SET curve_date = curve_date - 400 WHERE _business_date = {first}")
    report = run_validation(history, stages=("raw",), batch_ids=clean_db[1], suites=["raw.ref__ftp_curve"],
                            record=False)
    assert report.passed, report.summary()
    (tmp_path / "late").mkdir()
    late = _copy(clean_db, tmp_path / "late",
                 f"UPDATE raw.ref__ftp_curve SET curve_date = curve_date - 1 WHERE _business_date > {first}")
    report = run_validation(late, stages=("raw",), batch_ids=clean_db[1], suites=["raw.ref__ftp_curve"],
                            record=False)
    assert name in {o.name for o in report.outcomes if not o.success}, report.summary()


def test_a_planned_campaign_may_start_and_end_after_the_delivery(clean_db: tuple[Path, list[int]],
                                                                 tmp_path: Path) -> None:
    (tmp_path / "planned").mkdir()
    planned = _copy(clean_db, tmp_path / "planned", "UPDATE raw.marketing__campaigns "
                    "SET start_date = _business_date + 14, end_date = _business_date + 44")
    report = run_validation(planned, stages=("raw",), batch_ids=clean_db[1], suites=["raw.marketing__campaigns"],
                            record=False)
    assert report.passed, report.summary()
    # the allowance is the campaign extract's: an RM share agreement still cannot start after its delivery
    (tmp_path / "share").mkdir()
    share = _copy(clean_db, tmp_path / "share",
                  "UPDATE raw.core__customer_rm_shares SET start_date = _business_date + 1")
    report = run_validation(share, stages=("raw",), batch_ids=clean_db[1], suites=["raw.core__customer_rm_shares"],
                            record=False)
    assert "raw.core__customer_rm_shares.date.start_date" in {o.name for o in report.outcomes if not o.success}


def test_a_failed_warning_is_reported_but_does_not_block(clean_db: tuple[Path, list[int]], tmp_path: Path) -> None:
    name = "raw.core__transactions.plausible.amount"
    db = _copy(clean_db, tmp_path, *breaking_sql(name, CONTRACTS, CONFIG))
    report = run_validation(db, stages=("raw",), suites=["raw.core__transactions"], record=False)
    assert report.passed, report.summary()
    assert [w.split(" (")[0] for w in report.warnings] == [name]
    limit = CONFIG.raw.ranges["core.transactions"]["amount"][Severity.WARNING].max
    assert limit == Decimal("500000000")
    assert report.warnings[0].endswith("(1 unexpected rows)")


def test_card_customers_may_be_card_only_up_to_the_configured_share(
    clean_db: tuple[Path, list[int]], tmp_path: Path
) -> None:
    name = "raw.cards__cards.ref.card_customers_in_core"
    share = next(r for r in CONFIG.raw.references if name.endswith(r.name)).max_unmatched_share
    assert Decimal("0.25") < share < Decimal("0.50")  # the fixture has 4 cards per delivery
    first_cards = "SELECT DISTINCT card_no FROM raw.cards__cards ORDER BY 1 LIMIT {n}"
    card_only = "UPDATE raw.cards__cards SET id_number = 'CARD-ONLY-' || card_no WHERE card_no IN ({cards})"
    one = card_only.format(cards=first_cards.format(n=1))
    two = card_only.format(cards=first_cards.format(n=2))
    report = run_validation(_copy(clean_db, tmp_path, one), stages=("raw",), suites=["raw.cards__cards"], record=False)
    assert report.passed and not report.warnings, report.summary()
    (tmp_path / "copy.duckdb").unlink()
    report = run_validation(_copy(clean_db, tmp_path, two), stages=("raw",), suites=["raw.cards__cards"], record=False)
    assert report.passed
    assert [w.split(" (")[0] for w in report.warnings] == [name]


def test_rows_of_a_rejected_delivery_do_not_satisfy_a_foreign_key(
    clean_db: tuple[Path, list[int]], tmp_path: Path
) -> None:
    # a customer that only a REJECTED delivery brought, and a LOADED account pointing at it
    ghost = (
        "INSERT INTO raw.core__customers SELECT * REPLACE ('GHOST' AS cif_no, "
        "(SELECT batch_id FROM audit.deliveries WHERE status = 'REJECTED') AS _batch_id) "
        "FROM raw.core__customers LIMIT 1"
    )
    point = (
        "UPDATE raw.core__accounts SET cif_no = 'GHOST' "
        "WHERE rowid = (SELECT min(rowid) FROM raw.core__accounts WHERE _batch_id = (SELECT max(_batch_id) "
        "FROM raw.core__accounts WHERE _batch_id IN (SELECT batch_id FROM audit.deliveries WHERE status = 'LOADED')))"
    )
    db = _copy(clean_db, tmp_path, ghost, point)
    report = run_validation(db, stages=("raw",), suites=["raw.core__accounts"], record=False)
    assert report.failed_names == {"raw.core__accounts.fk.cif_no"}


def test_rejected_deliveries_asked_for_are_skipped_with_a_note(clean_db: tuple[Path, list[int]]) -> None:
    rejected = max(clean_db[1]) + 1
    report = run_validation(clean_db[0], stages=("raw",), batch_ids=[rejected], record=False)
    assert report.outcomes == () and report.batch_ids == ()
    assert any(str(rejected) in n and "not LOADED" in n for n in report.notes)


def test_bad_requests_are_refused_with_a_reason(clean_db: tuple[Path, list[int]], tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no delivery with batch id"):
        run_validation(clean_db[0], stages=("raw",), batch_ids=[999], record=False)
    with pytest.raises(ValidationError, match="stages must be among"):
        run_validation(clean_db[0], stages=("gold",), record=False)
    with pytest.raises(ValidationError, match="no suite"):
        run_validation(clean_db[0], stages=("raw",), batch_ids=[1], suites=["raw.nope"], record=False)
    with pytest.raises(ValidationError, match="no such warehouse"):
        run_validation(tmp_path / "missing.duckdb", record=False)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(ValidationError, match=r"audit\.deliveries"):
        run_validation(empty, stages=("raw",), record=False)


def test_results_can_go_to_another_file(clean_db: tuple[Path, list[int]], tmp_path: Path) -> None:
    served = tmp_path / "served.duckdb"
    duckdb.connect(str(served)).close()
    db = _copy(clean_db, tmp_path)
    report = run_validation(db, stages=("raw",), suites=["raw.ref__branches"], results_to=served, run_id="r1")
    con = duckdb.connect(str(served), read_only=True)
    try:
        stored = con.execute("SELECT count(*) FROM quality.validation_results WHERE run_id = 'r1'").fetchone()
        assert stored == (len(report.outcomes),)
        # only some suites ran: their deliveries stay pending for the next full run
        assert con.execute("SELECT count(*) FROM quality.validated_batches").fetchone() == (0,)
    finally:
        con.close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        schemas = {r[0] for r in con.execute("SELECT schema_name FROM information_schema.schemata").fetchall()}
        assert "quality" not in schemas
    finally:
        con.close()


def test_month_end_row_count_check_follows_the_calendar() -> None:
    """Month-end extracts come on the last business day of the bank's calendar: the row-count check asks for them
    there, not on the last calendar day."""
    from dataclasses import replace

    from contracts.business_calendar import load_calendar
    from expectations.raw_suites import _month_end_condition

    accruals = CONTRACTS.get("core.interest_accruals")
    assert _month_end_condition(accruals) == "business_date = last_day(business_date)"
    weekdays = replace(accruals, calendar=load_calendar("WEEKDAYS"))
    condition = _month_end_condition(weekdays)
    assert "DATE '2025-05-30'" in condition and "DATE '2025-05-31'" not in condition  # the 31st is a Saturday
