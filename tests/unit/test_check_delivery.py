"""`crmwh check-delivery DIR`: a bank's sample delivery checked by the loader's own rules, on an in-memory database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from contracts.contract import load_contracts
from contracts.errors import ExitCode
from crmwh.cli import cli
from ingest.check_delivery import check_delivery

from support.minibank import D1, build_landing


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_landing(tmp_path_factory.mktemp("check") / "landing", days=(D1,))


def _copy(landing: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "landing"
    shutil.copytree(landing, target)
    return target


def _edit(path: Path, line: int, column: int, value: str, encoding: str = "gbk") -> str:
    lines = path.read_bytes().decode(encoding).split("\n")
    fields = lines[line - 1].split("|")
    fields[column] = value
    lines[line - 1] = "|".join(fields)
    path.write_bytes("\n".join(lines).encode(encoding))
    return lines[line - 1]


def test_a_clean_first_delivery_passes(landing: Path) -> None:
    report = check_delivery(landing)
    assert report.ok, report.render()
    # every system of the contracts delivers on the first day of the sample, and every delivery would load
    assert {(s, status) for s, _, status, _ in report.deliveries} == {
        (system, "LOADED") for system in load_contracts().systems}
    text = report.render()
    assert "result: the sample passes every check" in text
    assert "TXN_DTL_20250130.dat (transactions; GBK, 13 columns): OK" in text


def test_problems_are_named_per_file_and_nothing_is_written(landing: Path, tmp_path: Path) -> None:
    sample = _copy(landing, tmp_path)
    day = sample / "core" / "20250130"
    txn = day / "TXN_DTL_20250130.dat"
    _edit(txn, 3, 7, "abc")  # amount
    _edit(txn, 7, 8, "GBP")  # currency: not one of the FX extract's
    _edit(txn, 8, 5, "ZZZ")  # channel: not in the code list
    before = sorted((p.name, p.stat().st_size) for p in day.iterdir())
    (day / "TXN_DTL_20250130.flg").unlink()  # a sample often comes without control files
    result = CliRunner().invoke(cli, ["check-delivery", str(day)])
    assert result.exit_code == ExitCode.REJECTED, result.output
    out = result.output
    assert "TXN_DTL_20250130.dat (transactions; GBK, 13 columns): PROBLEMS" in out
    assert "line 3, amount: TYPE: amount: 'abc' is not a DECIMAL(18,2)" in out
    assert "line 7, currency: ORPHAN_FOREIGN_KEY" not in out  # ref is not in this sample: not checked, and said so
    assert "core.transactions → ref.exchange_rates" in out
    assert "channel: 'ZZZ' in 1 rows is not in the code list (CTR, ATM, MOB, NET, POS, TEL)" in out
    assert "no control file TXN_DTL_20250130.flg: checked as if it had a correct one" in out
    # the sample folder is as it was (no control file written into it)
    after = sorted((p.name, p.stat().st_size) for p in day.iterdir())
    assert after == [x for x in before if x[0] != "TXN_DTL_20250130.flg"]


def test_a_currency_outside_the_fx_extract_is_named_when_ref_is_in_the_sample(landing: Path, tmp_path: Path) -> None:
    sample = _copy(landing, tmp_path)
    _edit(sample / "core" / "20250130" / "TXN_DTL_20250130.dat", 7, 8, "GBP")
    from contracts.control import write_control_file

    path = sample / "core" / "20250130" / "TXN_DTL_20250130.dat"
    write_control_file(path, D1, len(path.read_bytes().splitlines()))
    text = check_delivery(sample).render()
    assert ("line 7, currency: ORPHAN_FOREIGN_KEY: foreign key (currency) = (GBP) not found in ref.exchange_rates"
            in text), text
    assert "would be REJECTED" not in text  # one row of 300 is within the contract's 1 %


def test_a_file_in_the_wrong_encoding_is_a_file_problem(landing: Path, tmp_path: Path) -> None:
    sample = _copy(landing, tmp_path)
    day = sample / "core" / "20250130"
    path = day / "CUST_INFO_20250130.dat"
    path.write_bytes(path.read_bytes().decode("gbk").encode("utf-8"))
    (day / "CUST_INFO_20250130.flg").unlink()
    report = check_delivery(day)
    assert not report.ok
    files = {f.file_name: f for f in report.files}
    assert files["CUST_INFO_20250130.dat"].reason == (
        "CUST_INFO_20250130.dat: the file is UTF-8 encoded but the contract says GBK")
    assert [(s, status) for s, _, status, _ in report.deliveries] == [("core", "REJECTED")]


def test_not_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check-delivery", str(tmp_path / "nowhere")])
    assert result.exit_code == ExitCode.FAILED, result.output
    assert "no such folder" in result.output and "Traceback" not in result.output
