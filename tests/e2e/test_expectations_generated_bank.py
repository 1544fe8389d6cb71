"""The publish gate on the shared generated bank (generate → ingest → dbt build): validate it clean and broken on
purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from crmwh import build, publish
from expectations import build_data_docs, run_validation

from support.bank import GeneratedBank, ValidatedBank

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bank(generated_bank: GeneratedBank) -> tuple[Path, Path]:
    """(landing, built warehouse) of the shared generated bank (tests/support/bank.py), never validated. Read only."""
    return generated_bank.landing, generated_bank.warehouse


def _copy(src: Path, dst: Path, *sql: str) -> Path:
    shutil.copyfile(src, dst)
    if sql:
        con = duckdb.connect(str(dst))
        try:
            for statement in sql:
                con.execute(statement)
        finally:
            con.close()
    return dst


def test_a_generated_bank_passes_raw_and_marts(validated_bank: ValidatedBank, tmp_path: Path) -> None:
    # the run is the shared fixture's (tests/support/bank.py): run_validation on a copy of the built bank
    db = _copy(validated_bank.warehouse, tmp_path / "wh.duckdb")
    report = validated_bank.report
    print(f"\nvalidation of the generated bank: {report.seconds:.1f}s ({len(report.outcomes)} expectations)")
    assert report.passed, report.summary()
    assert not report.warnings, report.summary()
    assert {o.stage for o in report.outcomes} == {"raw", "marts"}
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = con.execute("SELECT count(*), count(DISTINCT stage) FROM quality.validation_results").fetchone()
    finally:
        con.close()
    assert stored == (len(report.outcomes), 2)
    index = build_data_docs(db, tmp_path / "docs")
    assert "raw.core__accounts" in index.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "sql"),
    [
        ("marts.fct_contribution_monthly.identity.net_contribution",
         "UPDATE marts.fct_contribution_monthly SET net_contribution = net_contribution + 1 "
         "WHERE account_id = (SELECT min(account_id) FROM marts.fct_contribution_monthly)"),
        ("marts.fct_contribution_monthly.allocated_cost_equals_gl",
         "UPDATE marts.fct_contribution_monthly SET allocated_operating_cost = allocated_operating_cost + 0.05, "
         "net_contribution = net_contribution - 0.05, economic_profit = economic_profit - 0.05 "
         "WHERE account_id = (SELECT min(account_id) FROM marts.fct_contribution_monthly)"),
        ("raw.core__transactions.row_count_matches_control",
         "DELETE FROM raw.core__transactions WHERE txn_id = (SELECT min(txn_id) FROM raw.core__transactions)"),
    ],
)
def test_a_broken_generated_bank_is_blocked(
    name: str, sql: str, bank: tuple[Path, Path], tmp_path: Path
) -> None:
    db = _copy(bank[1], tmp_path / "wh.duckdb", sql)
    report = run_validation(db, record=False)
    assert not report.passed
    assert name in {label.split(" (")[0] for label in report.critical_failures}, report.summary()


def test_the_build_does_not_publish_a_warehouse_that_fails_validation(
    bank: tuple[Path, Path], tmp_path: Path
) -> None:
    """crmwh.build.run_build validates the working copy and keeps serving the last good file when it fails.

    The break is one dbt's own tests do not look for (a customer opened after the business date of its delivery), so
    it is the validation step that stops the build.
    """
    served = _copy(bank[1], tmp_path / "served.duckdb",
                   "UPDATE raw.core__customers SET open_date = _business_date + 30 "
                   "WHERE rowid = (SELECT max(rowid) FROM raw.core__customers)")
    before = served.read_bytes()
    blocked = r"critical expectations failed: .*raw\.core__customers\.date\.open_date"
    with pytest.raises(build.BuildError, match=blocked):
        build.run_build(bank[0], served, progress=False)
    assert served.read_bytes() == before
    assert not publish.work_path(served).exists()
