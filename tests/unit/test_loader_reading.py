"""Reading extract files: GBK transcoding, fixed-width slicing by byte positions, line accounting, strict typing."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from contracts.contract import ContractSet
from contracts.control import write_control_file
from contracts.writer import write_extract
from ingest import filecheck
from ingest.filecheck import ScannedFile, read_lines, scan_file
from ingest.rowsql import column_sql, date_pattern

DAY = date(2025, 1, 31)


def _scan(tmp_path: Path, contracts: ContractSet, key: str, data: bytes, records: int) -> ScannedFile:
    contract = contracts.get(key)
    path = tmp_path / contract.file_name(DAY)
    path.write_bytes(data)
    write_control_file(path, DAY, records)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return scan_file(contract, DAY, path, tmp_path / contract.control_file_name(DAY), work)


# ---- GBK delimited ------------------------------------------------------------------------------------------------


def test_gbk_file_is_transcoded_to_utf8(tmp_path: Path, contracts: ContractSet) -> None:
    lines = ["C0000000000001|P|张三|01|110101199000000001|M|19800101|||||B000001000|RM00000001|A|0|20200101||"
             "13800000001|北京市朝阳区建国路1号|20250131"]
    scan = _scan(tmp_path, contracts, "core.customers", ("\n".join(lines) + "\n").encode("gbk"), 1)
    assert scan.ok, scan.problem
    assert scan.read_path is not None and scan.read_path != scan.data_path
    assert scan.read_path.read_text(encoding="utf-8") == lines[0] + "\n"


def test_gbk_decode_error_names_line_and_byte(tmp_path: Path, contracts: ContractSet) -> None:
    good = "C0000000000001|P|张三|01|x|M|19800101|||||B1|R1|A|0|20200101|||地址|20250131\n".encode("gbk")
    bad = good.replace("张三".encode("gbk"), b"\x81\x20zz")  # 0x81 needs a trail byte of 0x40-0xFE
    scan = _scan(tmp_path, contracts, "core.customers", good + bad + good, 3)
    assert scan.problem == "CUST_INFO_20250131.dat: not valid GBK at line 2, byte 18 (bytes 81 20 7a 7a)"
    assert scan.read_path is None and not list((tmp_path / "work").iterdir())  # no temporary copy left behind


def test_utf8_text_in_a_gbk_file_is_caught(tmp_path: Path, contracts: ContractSet) -> None:
    line = "C0000000000001|P|张三|01|x|M|19800101|||||B1|R1|A|0|20200101|||地址|20250131\n"
    data = line.encode("utf-8")
    data.decode("gbk")  # these UTF-8 bytes happen to be valid GBK too: only the UTF-8 check can tell
    scan = _scan(tmp_path, contracts, "core.customers", data, 1)
    assert scan.problem == "CUST_INFO_20250131.dat: the file is UTF-8 encoded but the contract says GBK"


def test_ascii_only_gbk_file_is_fine(tmp_path: Path, contracts: ContractSet) -> None:
    line = "C0000000000001|P|ZHANG SAN|01|x|M|19800101|||||B1|R1|A|0|20200101|||addr|20250131\n"
    assert _scan(tmp_path, contracts, "core.customers", line.encode(), 1).ok


def test_invalid_utf8_in_a_utf8_file(tmp_path: Path, contracts: ContractSet) -> None:
    head = "rm_id,rm_name,branch_code,rm_type,rm_grade,hire_date,leave_date,status\n"
    data = (head + "RM1,王经理,B1,P,S1,2015-03-01,,A\n").encode("utf-8")
    data += "RM2,李经理,B1,P,S1,2015-03-01,,A\n".encode("gbk")
    scan = _scan(tmp_path, contracts, "ref.relationship_managers", data, 2)
    assert scan.problem == "RM_20250131.csv: not valid UTF-8 at line 3, byte 5 (bytes c0 ee be ad)"


def test_blank_lines_and_counts(tmp_path: Path, contracts: ContractSet) -> None:
    head = "rm_id,rm_name,branch_code,rm_type,rm_grade,hire_date,leave_date,status\n"
    row = "RM1,王经理,B1,P,S1,2015-03-01,,A\n"
    data = (head + row + "\n" + row + "\r\n" + row).encode()  # blank lines 3 and 5
    scan = _scan(tmp_path, contracts, "ref.relationship_managers", data, 5)
    assert scan.ok, scan.problem
    assert (scan.lines, scan.data_lines) == (6, 5)
    assert [(s.line_number, s.reason_code) for s in scan.skipped] == [(3, "EMPTY_LINE"), (5, "EMPTY_LINE")]


def test_blank_lines_across_chunk_boundaries(tmp_path: Path, contracts: ContractSet,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filecheck, "CHUNK_BYTES", 64)  # many blocks: line numbers must carry over
    head = "rm_id,rm_name,branch_code,rm_type,rm_grade,hire_date,leave_date,status\n"
    rows = [f"RM{i},经理{i},B1,P,S1,2015-03-01,,A" for i in range(1, 41)]
    rows[24] = ""
    rows[31] = ""
    scan = _scan(tmp_path, contracts, "ref.relationship_managers", (head + "\n".join(rows) + "\n").encode(), 40)
    assert scan.ok, scan.problem
    assert [s.line_number for s in scan.skipped] == [26, 33]
    assert read_lines(scan.data_path, {1, 27, 41}, "utf-8") == {1: head.rstrip("\n"), 27: rows[25], 41: rows[39]}


def test_header_is_checked_against_the_contract(tmp_path: Path, contracts: ContractSet) -> None:
    data = b"rm_id,name,branch_code,rm_type,rm_grade,hire_date,leave_date,status\n"
    scan = _scan(tmp_path, contracts, "ref.relationship_managers", data, 0)
    assert scan.problem == ("RM_20250131.csv: header does not match the contract: column 2 is 'name', "
                            "the contract says 'rm_name'")
    bom = "\ufeffrm_id,rm_name,branch_code,rm_type,rm_grade,hire_date,leave_date,status\r\n".encode()
    assert _scan(tmp_path, contracts, "ref.relationship_managers", bom, 0).ok  # a BOM and CRLF are tolerated


# ---- fixed width --------------------------------------------------------------------------------------------------


def _ledger(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    con.execute("CREATE OR REPLACE TABLE e (entry_id VARCHAR, posting_date DATE, account_code VARCHAR, "
                "cost_centre_code VARCHAR, currency VARCHAR, dr_cr_flag VARCHAR, amount DECIMAL(18,2), "
                "description VARCHAR)")
    con.executemany("INSERT INTO e VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def test_fixed_width_is_sliced_by_gbk_byte_positions(tmp_path: Path, contracts: ContractSet) -> None:
    con = duckdb.connect()
    _ledger(con, [
        ("E1", DAY, "660101", "CC000001", "CNY", "D", Decimal("1234.50"), "工资发放：一月"),
        ("E2", DAY, "2211", "CC000002", "CNY", "C", Decimal("-0.01"), None),
        ("E3", DAY, "6011", "CC000003", "CNY", "C", Decimal("9999999999999.99"), "利息收入 interest 收入"),
    ])
    contract = contracts.get("accounting.ledger_entries")
    written = write_extract(con, contract, "e", DAY, tmp_path / "d", order_by="entry_id")
    raw = written.path.read_bytes()
    assert len(raw) == 3 * (contract.record_width + 1)
    scan = scan_file(contract, DAY, written.path, tmp_path / "d" / "GL_ENTRY_20250131.flg", tmp_path)
    assert scan.ok, scan.problem
    fields = [line.split("\x1f") for line in scan.read_path.read_text(encoding="utf-8").splitlines()]  # type: ignore[union-attr]
    assert [f[0].rstrip() for f in fields] == ["E1", "E2", "E3"]
    assert [f[6] for f in fields] == ["+00000000001234.50", "-00000000000000.01", "+09999999999999.99"]
    assert [f[7].rstrip() for f in fields] == ["工资发放：一月", "", "利息收入 interest 收入"]
    # each field of the converted file has exactly its byte width in GBK
    for f in fields:
        assert [len(x.encode("gbk")) for x in f] == [c.width for c in contract.columns]


def test_fixed_width_crlf_and_bad_lengths(tmp_path: Path, contracts: ContractSet) -> None:
    contract = contracts.get("accounting.cost_centres")
    assert contract.record_width == 63

    def record(code: str, name: str, branch: str, dept: str, kind: str) -> bytes:
        return (code.ljust(8).encode("gbk") + name.encode("gbk").ljust(40) + branch.ljust(10).encode()
                + dept.ljust(4).encode() + kind.encode())

    good = record("CC000001", "北京分行零售业务部", "B000000100", "RET", "D")
    assert len(good) == 63
    data = good + b"\r\n" + good[:-2] + b"\r\n" + good + b"\n" + b"\n" + good + b"\r\n"
    scan = _scan(tmp_path, contracts, "accounting.cost_centres", data, 5)
    assert scan.ok, scan.problem
    assert [(s.line_number, s.reason_code, s.reason) for s in scan.skipped] == [
        (2, "RECORD_LENGTH", "record is 61 bytes, the fixed-width layout needs 63"),
        (4, "EMPTY_LINE", "empty line"),
    ]
    assert scan.skipped[0].raw_text == good[:-2].decode("gbk")
    converted = scan.read_path.read_text(encoding="utf-8").splitlines()  # type: ignore[union-attr]
    assert len(converted) == 3 and all(line.split("\x1f")[1].rstrip() == "北京分行零售业务部" for line in converted)


def test_fixed_width_large_file_in_many_blocks(tmp_path: Path, contracts: ContractSet,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filecheck, "FIXED_CHUNK_BYTES", 1000)
    con = duckdb.connect()
    _ledger(con, [(f"E{i:05d}", DAY, "6601", "CC000001", "CNY", "D", Decimal(i), f"费用{i}")
                  for i in range(1, 501)])
    contract = contracts.get("accounting.ledger_entries")
    written = write_extract(con, contract, "e", DAY, tmp_path / "d", order_by="entry_id")
    scan = scan_file(contract, DAY, written.path, tmp_path / "d" / "GL_ENTRY_20250131.flg", tmp_path)
    assert scan.ok and scan.data_lines == 500
    converted = scan.read_path.read_text(encoding="utf-8").splitlines()  # type: ignore[union-attr]
    assert [line.split("\x1f")[7].rstrip() for line in converted] == [f"费用{i}" for i in range(1, 501)]


# ---- strict typing ------------------------------------------------------------------------------------------------


def test_date_patterns() -> None:
    assert date_pattern("%Y%m%d") == ("[0-9]{4}[0-9]{2}[0-9]{2}", "YYYYMMDD")
    assert date_pattern("%Y-%m-%d") == ("[0-9]{4}\\-[0-9]{2}\\-[0-9]{2}", "YYYY-MM-DD")
    with pytest.raises(ValueError, match="only %Y, %m and %d are supported, not '%b'"):
        date_pattern("%d %b %Y")


@pytest.mark.parametrize(("key", "column", "text", "value"), [
    ("core.transactions", "amount", "12.34", Decimal("12.34")),
    ("core.transactions", "amount", "12.3", Decimal("12.30")),
    ("core.transactions", "amount", "-0.01", Decimal("-0.01")),
    ("core.transactions", "amount", "+7", Decimal("7.00")),
    ("core.transactions", "amount", "0000012.50", Decimal("12.50")),
    ("core.transactions", "amount", "12.345", None),  # DuckDB's cast would round it to 12.35
    ("core.transactions", "amount", "1e3", None),  # … or read it as 1000
    ("core.transactions", "amount", "1,234.00", None),
    ("core.transactions", "amount", ".5", None),
    ("core.transactions", "amount", " 3.00", None),
    ("core.transactions", "amount", "1234567890123456.78", Decimal("1234567890123456.78")),  # 18 digits fit
    ("core.transactions", "amount", "12345678901234567.8", None),  # 17 integer digits: over DECIMAL(18,2)
    ("core.loans", "pd", "0.0123456", None),  # 7 decimals for a scale of 6
    ("core.loans", "days_past_due", "30", 30),
    ("core.loans", "days_past_due", "2.0", None),
    ("core.loans", "days_past_due", "-1", -1),
    ("core.transactions", "txn_date", "20250131", date(2025, 1, 31)),
    ("core.transactions", "txn_date", "20250230", None),
    ("core.transactions", "txn_date", "2025131", None),
    ("cards.card_transactions", "txn_date", "2025-01-31", date(2025, 1, 31)),
    ("cards.card_transactions", "txn_date", "2025-1-31", None),
    ("cards.card_transactions", "txn_date", "20250131", None),
])
def test_strict_typing(contracts: ContractSet, key: str, column: str, text: str, value: object) -> None:
    contract = contracts.get(key)
    # the type alone: the plausible ranges are the next test's
    cs = column_sql(dataclasses.replace(contract.column(column), minimum=None, maximum=None), contract)
    con = duckdb.connect()
    con.execute(f'CREATE TABLE t AS SELECT ?::VARCHAR AS "{column}"', [text])
    valid = con.execute(f"SELECT {cs.valid} FROM t").fetchone()[0]  # type: ignore[index]
    assert valid == (value is not None)
    if value is not None:
        assert con.execute(f"SELECT {cs.cast} FROM t").fetchone()[0] == value  # type: ignore[index]
    else:
        reason = con.execute(f"SELECT {cs.type_reason} FROM t").fetchone()[0]  # type: ignore[index]
        assert reason.startswith(f"{column}: '{text}' is not ")


def test_fixed_width_fields_are_trimmed_and_blank_is_null(contracts: ContractSet) -> None:
    contract = contracts.get("accounting.ledger_entries")
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT '+00000000001234.50' AS amount, '   ' AS description, "
                "' 工资 ' || repeat(' ', 20) AS entry_id")
    amount = column_sql(contract.column("amount"), contract)
    desc = column_sql(contract.column("description"), contract)
    entry = column_sql(contract.column("entry_id"), contract)
    assert con.execute(f"SELECT {amount.cast}, {desc.text}, {entry.text} FROM t").fetchone() == (
        Decimal("1234.50"), None, " 工资")


@pytest.mark.parametrize(("key", "column", "text", "valid"), [
    ("core.transactions", "amount", "100000000000.00", True),  # the bound itself
    ("core.transactions", "amount", "100000000000.01", False),
    ("core.transactions", "amount", "9999999999999999.99", False),  # fits DECIMAL(18,2), not a transaction
    ("core.transactions", "amount", "0", True),
    ("core.transactions", "amount", "-0.01", False),
    ("core.loans", "days_past_due", "-1", False),
    ("core.loans", "days_past_due", "36500", True),
    ("core.loans", "pd", "1.000001", False),
    ("core.balances", "balance", "-100000000000.00", True),
    ("core.balances", "balance", "-100000000000.01", False),
])
def test_plausible_ranges(contracts: ContractSet, key: str, column: str, text: str, valid: bool) -> None:
    contract = contracts.get(key)
    cs = column_sql(contract.column(column), contract)
    con = duckdb.connect()
    con.execute(f'CREATE TABLE t AS SELECT ?::VARCHAR AS "{column}"', [text])
    assert con.execute(f"SELECT {cs.valid} FROM t").fetchone()[0] is valid  # type: ignore[index]

