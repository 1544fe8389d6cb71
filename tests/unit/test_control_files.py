"""Control files (标志文件): parsing, and the checks of a data file against its control file."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from contracts.contract import ContractSet
from contracts.control import ControlFileError, ControlRecord, file_md5, read_control_file, write_control_file
from ingest.filecheck import scan_file

DAY = date(2025, 1, 31)


def test_control_record_round_trip() -> None:
    record = ControlRecord("TXN_DTL_20250131.dat", DAY, 300, 28_311, "0123456789abcdef0123456789abcdef")
    text = record.render()
    assert text == "TXN_DTL_20250131.dat|20250131|300|28311|0123456789abcdef0123456789abcdef\n"
    assert ControlRecord.parse(text, "x.flg") == record
    assert ControlRecord.parse(text.upper().replace("TXN_DTL_20250131.DAT", "TXN_DTL_20250131.dat"), "x.flg").md5 \
        == record.md5  # upper-case digests are accepted


@pytest.mark.parametrize(("text", "message"), [
    ("", "x.flg: expected one line, found 0"),
    ("a|20250131|1|2|0123456789abcdef0123456789abcdef\nb|20250131|1|2|0123456789abcdef0123456789abcdef\n",
     "x.flg: expected one line, found 2"),
    ("a|20250131|1|2\n", "x.flg: expected 5 '|'-separated fields"),
    ("a|2025013|1|2|0123456789abcdef0123456789abcdef\n", "x.flg: business date '2025013' is not YYYYMMDD"),
    ("a|20251331|1|2|0123456789abcdef0123456789abcdef\n", "x.flg: business date '20251331' is not YYYYMMDD"),
    ("a|20250131|-1|2|0123456789abcdef0123456789abcdef\n", "record count '-1' and byte size '2' must be whole"),
    ("a|20250131|1|2|xyz\n", "x.flg: 'xyz' is not an MD5 hex digest"),
])
def test_malformed_control_files(text: str, message: str) -> None:
    with pytest.raises(ControlFileError) as err:
        ControlRecord.parse(text, "x.flg")
    assert message in str(err.value)


def test_missing_and_unreadable_control_files(tmp_path: Path) -> None:
    with pytest.raises(ControlFileError, match=r"^X\.flg: control file missing$"):
        read_control_file(tmp_path / "X.flg")
    (tmp_path / "Y.flg").write_bytes("Y.dat|20250131|1|2|数据\n".encode())
    with pytest.raises(ControlFileError, match=r"^Y\.flg: unreadable"):
        read_control_file(tmp_path / "Y.flg")


def test_write_control_file_describes_the_file(tmp_path: Path) -> None:
    data = tmp_path / "RM_20250131.csv"
    data.write_bytes(b"a,b\n1,2\n")
    record = write_control_file(data, DAY, 1)
    assert read_control_file(tmp_path / "RM_20250131.flg") == record
    assert record.md5 == file_md5(data) == hashlib.md5(b"a,b\n1,2\n").hexdigest()
    assert record.byte_size == 8


def _delivery(tmp_path: Path, contracts: ContractSet, text: str, count: int) -> tuple[Path, Path]:
    contract = contracts.get("ref.relationship_managers")
    data = tmp_path / contract.file_name(DAY)
    data.write_text(text, encoding="utf-8")
    write_control_file(data, DAY, count)
    return data, tmp_path / contract.control_file_name(DAY)


RM = ("rm_id,rm_name,branch_code,rm_type,rm_grade,hire_date,leave_date,status\n"
      "RM00000001,王经理,B000000100,P,S1,2015-03-01,,A\n")


def test_a_matching_file_passes(tmp_path: Path, contracts: ContractSet) -> None:
    data, control = _delivery(tmp_path, contracts, RM, 1)
    scan = scan_file(contracts.get("ref.relationship_managers"), DAY, data, control, tmp_path)
    assert scan.ok, scan.problem
    assert (scan.data_lines, scan.lines, scan.byte_size, scan.md5) == (
        1, 2, len(RM.encode()), hashlib.md5(RM.encode()).hexdigest())
    assert scan.read_path == data  # UTF-8 delimited files are read in place


@pytest.mark.parametrize(("tamper", "problem"), [
    (lambda d, c: c.unlink(), "RM_20250131.csv: control file RM_20250131.flg missing"),
    (lambda d, c: d.unlink(), "RM_20250131.csv: data file missing"),
    (lambda d, c: c.write_text(c.read_text().replace("RM_20250131.csv", "RM_20250130.csv")),
     "RM_20250131.csv: control file RM_20250131.flg describes 'RM_20250130.csv', not this file"),
    (lambda d, c: c.write_text(c.read_text().replace("|20250131|", "|20250130|")),
     "RM_20250131.csv: control file RM_20250131.flg is for business date 20250130, the delivery is 20250131"),
    (lambda d, c: d.write_bytes(d.read_bytes() + b"\n"),
     "RM_20250131.csv: byte size 123 differs from the control file's 122 (truncated or altered in transit)"),
    (lambda d, c: d.write_bytes(d.read_bytes().replace(b"S1", b"M1")),
     "RM_20250131.csv: MD5 "),
    (lambda d, c: c.write_text(c.read_text().replace("|1|", "|2|")),
     "RM_20250131.csv: 1 records in the file, the control file says 2"),
])
def test_each_control_check(tmp_path: Path, contracts: ContractSet, tamper, problem: str) -> None:  # type: ignore[no-untyped-def]
    data, control = _delivery(tmp_path, contracts, RM, 1)
    assert len(RM.encode()) == 122
    tamper(data, control)
    scan = scan_file(contracts.get("ref.relationship_managers"), DAY, data, control, tmp_path)
    assert scan.problem is not None and scan.problem.startswith(problem), scan.problem
    if "MD5" in problem:
        assert scan.problem.endswith(f"differs from the control file's {hashlib.md5(RM.encode()).hexdigest()}")
