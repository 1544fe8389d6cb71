"""The loader under a bank profile: deliveries expected on business days only, reference extracts sent on change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from contracts.business_calendar import ENV_PROFILE
from contracts.contract import CONTRACTS_DIR

from support.deliveries import Bank
from support.minibank import D2, D3


def _profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **edit: object) -> None:
    doc = yaml.safe_load((CONTRACTS_DIR / "bank.yaml").read_text(encoding="utf-8"))
    doc.update(edit)
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv(ENV_PROFILE, str(path))


def _outcomes(report: object) -> dict[tuple[str, object], tuple[str, str | None]]:
    return {(o.system, o.business_date): (o.outcome, o.reason) for o in report.outcomes}  # type: ignore[attr-defined]


def _skip_d2(bank: Bank) -> None:
    """The landing holds D1 (loaded) and D3, nothing for D2."""
    for system in bank.contracts.systems:
        shutil.rmtree(bank.delivery_dir(system, D2))
    bank.add_day(D3)


def test_every_day_bank_holds_a_delivery_after_a_missing_day(bank: Bank) -> None:
    _skip_d2(bank)
    found = _outcomes(bank.ingest())
    assert found[("ref", D3)][0] == "HELD"
    assert "waiting for ref 2025-01-31" in str(found[("ref", D3)][1])


def test_a_day_off_is_not_waited_for(bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 2025-01-31 is 春节 in the CN calendar: no delivery is expected, so 2025-02-01's (a Saturday, sent anyway) loads
    _profile(tmp_path, monkeypatch, calendar="CN")
    _skip_d2(bank)
    found = _outcomes(bank.ingest())
    assert found[("ref", D3)][0] == "LOADED", found
    # nothing waits for 2025-01-31 (core's D3 rows refer to accounts opened on D2, so it may be rejected: that is
    # the data, not the calendar)
    assert not [k for k, (outcome, _) in found.items() if outcome == "HELD"], found
    assert found[("accounting", D3)][0] == "LOADED", found


def test_reference_extracts_sent_on_change_may_be_absent(bank: Bank, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _profile(tmp_path, monkeypatch, systems={"ref": {"on_change": ["branches", "products", "relationship_managers"]},
                                             "core": {"encoding": "gbk"}, "cards": {},
                                             "accounting": {"encoding": "gbk"}})
    for key in ("ref.branches", "ref.products"):  # unchanged on D2: not sent
        bank.data_path(key, D2).unlink()
        bank.control_path(key, D2).unlink()
    report = bank.ingest()
    found = _outcomes(report)
    assert {found[(s, D2)][0] for s in ("ref", "core", "cards", "accounting")} == {"LOADED"}, report.summary()
    files = {f for (f,) in bank.query(
        "SELECT f.file_name FROM audit.delivery_files f JOIN audit.deliveries d USING (batch_id) "
        "WHERE d.system = 'ref' AND d.business_date = ?", [D2])}
    assert not any(f.startswith(("BRANCH", "PRODUCT")) for f in files)
    assert any(f.startswith("FX_RATE") for f in files)
    # the core rows of D2 refer to branches and products loaded on D1: none is an orphan
    assert bank.count("core__accounts", f"_business_date = '{D2}'") > 0
    d2_core = [d for d in bank.deliveries("core") if d["business_date"] == D2][-1]
    assert d2_core["rows_rejected"] == 0


def test_an_on_change_file_without_its_control_file_is_still_rejected(bank: Bank, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _profile(tmp_path, monkeypatch, systems={"ref": {"on_change": ["branches"]}, "core": {"encoding": "gbk"},
                                             "cards": {}, "accounting": {"encoding": "gbk"}})
    bank.control_path("ref.branches", D2).unlink()
    found = _outcomes(bank.ingest())
    assert found[("ref", D2)][0] == "REJECTED"
    assert "control file BRANCH" in str(found[("ref", D2)][1])


def test_optional_fields_load_their_documented_default(bank: Bank, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _profile(tmp_path, monkeypatch, optional_fields=["core.transactions.channel", "core.transactions.txn_time",
                                                     "core.loans.pd"])
    _, channel_line = bank.edit_field("core.transactions", D2, 42, "channel", "")
    _, time_line = bank.edit_field("core.transactions", D2, 43, "txn_time", "")
    bank.edit_field("core.loans", D2, 2, "pd", "")
    report = bank.ingest()
    assert _outcomes(report)[("core", D2)][0] == "LOADED", report.summary()
    d2_core = [d for d in bank.deliveries("core") if d["business_date"] == D2][-1]
    assert d2_core["rows_rejected"] == 0
    no_channel, no_time = channel_line.split("|")[0], time_line.split("|")[0]
    assert bank.scalar("SELECT channel FROM raw.core__transactions WHERE txn_id = ?", [no_channel]) == "UNK"
    assert bank.scalar("SELECT txn_time FROM raw.core__transactions WHERE txn_id = ?", [no_time]) is None
    assert bank.count("core__loans", f"_business_date = '{D2}' AND pd IS NULL") == 1


def test_a_required_field_stays_required_without_the_profile(bank: Bank) -> None:
    bank.edit_field("core.transactions", D2, 42, "channel", "")
    report = bank.ingest()
    batch = next(o for o in report.outcomes if (o.system, o.business_date) == ("core", D2)).batch_id
    assert [(r[1], r[2], r[3]) for r in bank.rejected_rows(batch)] == [(42, "channel", "NOT_NULL")]
