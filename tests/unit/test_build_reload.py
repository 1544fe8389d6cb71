"""`crmwh build --reload DATE [--system S]`: a corrected past delivery goes through the build's lock and private copy.

Issue 14.7: `crmwh build` refused a changed delivery saying "use --reload", but had no such option; only
`crmwh ingest --reload` worked. dbt is stubbed here: what is tested is which deliveries the build's ingest replaces,
and that the served version is never written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from contracts.errors import ExitCode
from crmwh import build, dbt_runs, publish
from crmwh.cli import cli

from support.deliveries import Bank
from support.minibank import D2

TXN = "core.transactions"


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


@pytest.fixture
def served(bank: Bank, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bank with D1 and D2 loaded and published; dbt stubbed out of the build."""
    report = bank.ingest()
    assert not report.rejected, report.summary()
    bank.close()
    monkeypatch.setattr(build, "run_dbt", lambda *_args, **_kwargs: None)
    monkeypatch.setattr(dbt_runs, "record_build", lambda *_args, **_kwargs: None)
    return publish.publish(publish.prepare_work_copy(bank.warehouse), bank.warehouse)


def _build(bank: Bank, *args: str) -> Any:
    return CliRunner().invoke(cli, ["build", *args, "--no-validate", "--landing", str(bank.landing),
                                    "--warehouse", str(bank.warehouse), "--quiet"])


def _loaded(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT system, business_date, batch_id, replaced_batch_id FROM audit.deliveries "
                           "WHERE status = 'LOADED' ORDER BY batch_id").fetchall()
    finally:
        con.close()


def _amount(path: Path, txn_id: str) -> Any:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT t.amount FROM raw.core__transactions t JOIN audit.deliveries d "
                           "ON d.batch_id = t._batch_id AND d.status = 'LOADED' WHERE t.txn_id = ?",
                           [txn_id]).fetchall()
    finally:
        con.close()


def test_build_reload_replaces_a_corrected_past_delivery(bank: Bank, served: Path) -> None:
    old, new = bank.edit_field(TXN, D2, 5, "amount", "4321.00")  # the bank corrects one amount of 2025-01-31
    txn_id = new.split("|")[0]
    before = _loaded(served)

    refused = _build(bank)
    assert refused.exit_code == ExitCode.REJECTED, refused.output
    assert "use --reload to replace that batch" in refused.output
    version = publish.resolve_served(bank.warehouse)
    assert _loaded(version) == before  # nothing replaced
    md5_before = _md5(version)

    result = _build(bank, "--reload", "2025-01-31", "--system", "core")
    assert result.exit_code == ExitCode.OK, result.output
    now = publish.resolve_served(bank.warehouse)
    assert now != version and _md5(version) == md5_before  # a new version; the one served before is untouched
    after = _loaded(now)
    core_d2 = [r for r in after if r[:2] == ("core", D2)]
    old_batch = next(r[2] for r in before if r[:2] == ("core", D2))
    assert len(core_d2) == 1 and core_d2[0][3] == old_batch  # the corrected delivery replaced the loaded batch
    assert [r for r in after if r[:2] != ("core", D2)] == [r for r in before if r[:2] != ("core", D2)]
    from decimal import Decimal

    assert _amount(now, txn_id) == [(Decimal("4321.00"),)]
    assert old != new


def test_build_reload_of_another_date_or_system_replaces_nothing(bank: Bank, served: Path) -> None:
    bank.edit_field(TXN, D2, 5, "amount", "4321.00")
    before = _loaded(served)
    for args in (("--reload", "2025-01-30"), ("--reload", "2025-01-31", "--system", "cards")):
        result = _build(bank, *args)
        assert result.exit_code == ExitCode.REJECTED, result.output
        assert "use --reload to replace that batch" in result.output
        assert _loaded(publish.resolve_served(bank.warehouse)) == before


def test_build_reload_refuses_a_system_the_contracts_do_not_have(bank: Bank, served: Path) -> None:
    result = _build(bank, "--reload", "2025-01-31", "--system", "treasury")
    assert result.exit_code == ExitCode.FAILED, result.output
    assert "unknown system(s) treasury" in result.output and "Traceback" not in result.output
