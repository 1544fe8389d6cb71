"""Bad input judged by the bank profile (contracts/bank.yaml): a file in another encoding than the profile gives its
system, a currency the bank's FX extract does not deliver. Each gets a clear reason and loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from badinput.conftest import Before, assert_only_failed, outcome

from contracts.business_calendar import ENV_PROFILE
from contracts.contract import CONTRACTS_DIR, load_contracts

from support.deliveries import Bank
from support.minibank import D2

TXN = "core.transactions"
TXN_FILE = "TXN_DTL_20250131.dat"
CORE = sum(1 for c in load_contracts().contracts if c.system == "core")  # data files of a core delivery


def _profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **systems: dict) -> None:
    """Put a copy of the demo bank's profile in force, with the given systems' settings replaced."""
    doc = yaml.safe_load((CONTRACTS_DIR / "bank.yaml").read_text(encoding="utf-8"))
    doc["systems"].update(systems)
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv(ENV_PROFILE, str(path))


def _assert_core_d2_rejected(bank: Bank, before: Before, reason: str) -> None:
    report = bank.ingest()
    o = outcome(report, "core", D2)
    assert (o.outcome, o.reason) == ("REJECTED", reason)
    assert_only_failed(report, {("core", D2)})
    assert bank.count("core__transactions", f"_business_date = '{D2}'") == 0
    before.assert_unchanged()
    d = bank.deliveries("core")[-1]
    assert (d["status"], d["reason_code"], d["reason"]) == ("REJECTED", "CHECK_FAILED", reason)
    files = dict(bank.query("SELECT file_name, status FROM audit.delivery_files WHERE batch_id = ?", [d["batch_id"]]))
    assert files[TXN_FILE] == "REJECTED"


def test_utf8_file_where_the_profile_says_gb18030(bank: Bank, before: Before, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # no encoding for core: its Chinese files are read as GB18030, the default
    _profile(tmp_path, monkeypatch, core={})
    text = bank.data_path(TXN, D2).read_bytes().decode("gbk")
    bank.write_bytes(TXN, D2, text.encode("utf-8"))
    _assert_core_d2_rejected(
        bank, before, f"1 of {CORE} files failed: {TXN_FILE}: the file is UTF-8 encoded but the contract says GB18030")


def test_gbk_file_where_the_profile_says_utf8(bank: Bank, before: Before, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # a bank whose core system writes UTF-8: every core file of D2 is, but the transactions file came as GBK
    _profile(tmp_path, monkeypatch, core={"encoding": "utf-8"})
    for contract in bank.contracts.for_system("core"):
        if contract.key != TXN and bank.data_path(contract.key, D2).exists():
            bank.write_bytes(contract.key, D2, bank.data_path(contract.key, D2).read_bytes().decode("gbk").encode())
    lines = bank.data_path(TXN, D2).read_bytes().decode("gbk").split("\n")
    line_no = next(i for i, line in enumerate(lines, start=1) if not line.isascii())
    raw = lines[line_no - 1].encode("gbk")
    col = next(i for i, b in enumerate(raw) if b >= 0x80) + 1
    _assert_core_d2_rejected(
        bank, before, f"1 of {CORE} files failed: {TXN_FILE}: not valid UTF-8 at line {line_no}, byte {col} "
                      f"(bytes {raw[col - 1: col + 3].hex(' ')})")


def test_gb18030_loads_names_gbk_cannot_encode(bank: Bank, before: Before, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _profile(tmp_path, monkeypatch, core={"encoding": "gb18030"})
    name = "Nováková Čestmíra z Českých Budějovic"
    with pytest.raises(UnicodeEncodeError):
        name.encode("gbk")
    key = "core.customers"
    lines = bank.lines(key, D2)
    fields = lines[0].split("|")
    fields[bank.contract(key).column_names.index("customer_name")] = name
    lines[0] = "|".join(fields)
    bank.write_bytes(key, D2, ("\n".join(lines) + "\n").encode("gb18030"))
    report = bank.ingest()
    assert outcome(report, "core", D2).outcome == "LOADED", report.summary()
    assert_only_failed(report, set())
    before.assert_unchanged()
    cif = fields[0]
    assert bank.scalar(f"SELECT customer_name FROM raw.core__customers WHERE cif_no = '{cif}' "
                       f"AND _business_date = '{D2}'") == name


def test_currency_not_in_the_banks_list(bank: Bank, before: Before) -> None:
    # the bank's currencies are those its FX extract delivers (CNY, USD, HKD in the small bank): GBP is not one
    _, new = bank.edit_field(TXN, D2, 10, "currency", "GBP")
    report = bank.ingest()
    o = outcome(report, "core", D2)
    assert o.outcome == "LOADED", o.line()
    assert_only_failed(report, set())
    before.assert_unchanged()
    assert o.batch_id is not None
    assert bank.rejected_rows(o.batch_id) == [
        (TXN_FILE, 10, "currency", "ORPHAN_FOREIGN_KEY",
         "foreign key (currency) = (GBP) not found in ref.exchange_rates (neither in this delivery nor already loaded)",
         new)]
    assert bank.count("core__transactions", f"_business_date = '{D2}'") == 299
    assert bank.count("core__transactions", "currency = 'GBP'") == 0
