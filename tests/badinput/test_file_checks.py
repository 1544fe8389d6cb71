"""Bad input caught before anything loads: a file that does not match its control file or its contract rejects its
whole delivery (system × business date) with a message naming the file and the reason; nothing of it is loaded."""

from __future__ import annotations

import hashlib

from badinput.conftest import Before, assert_only_failed, outcome

from support.deliveries import Bank
from support.minibank import D2, D3

TXN = "core.transactions"
TXN_FILE = "TXN_DTL_20250131.dat"


def _assert_core_d2_rejected(bank: Bank, before: Before, reason: str) -> None:
    report = bank.ingest()
    o = outcome(report, "core", D2)
    assert o.outcome == "REJECTED"
    assert o.reason == reason
    assert_only_failed(report, {("core", D2)})
    # nothing of the delivery loaded, the rest of D2 did, D1 is untouched
    for table in ("core__customers", "core__accounts", "core__balances", "core__transactions", "core__loans",
                  "core__interest_accruals"):
        assert bank.count(table, f"_business_date = '{D2}'") == 0
    assert bank.count("cards__card_transactions", f"_business_date = '{D2}'") == 200
    before.assert_unchanged()
    d = bank.deliveries("core")[-1]
    assert (d["status"], d["reason_code"], d["reason"], d["rows_loaded"]) == ("REJECTED", "CHECK_FAILED", reason, 0)
    files = dict(bank.query("SELECT file_name, status FROM audit.delivery_files WHERE batch_id = ?", [d["batch_id"]]))
    assert files[TXN_FILE] in ("REJECTED", "NOT_LOADED")
    assert set(files.values()) <= {"REJECTED", "NOT_LOADED"}
    # the landing area is left as it was
    assert bank.data_path(TXN, D2).exists()


def test_truncated_file(bank: Bank, before: Before) -> None:
    path = bank.data_path(TXN, D2)
    data = path.read_bytes()
    bank.write_bytes(TXN, D2, data[:-100], fix_control=False)
    _assert_core_d2_rejected(
        bank, before,
        f"1 of 8 files failed: {TXN_FILE}: byte size {len(data) - 100} differs from the control file's {len(data)} "
        "(truncated or altered in transit)")


def test_checksum_mismatch(bank: Bank, before: Before) -> None:
    path = bank.data_path(TXN, D2)
    data = bytearray(path.read_bytes())
    original = hashlib.md5(data).hexdigest()
    pos = data.index(b"|9.50|")  # the first amount: same size, different value
    data[pos + 1] = ord("8")
    bank.write_bytes(TXN, D2, bytes(data), fix_control=False)
    changed = hashlib.md5(data).hexdigest()
    _assert_core_d2_rejected(
        bank, before, f"1 of 8 files failed: {TXN_FILE}: MD5 {changed} differs from the control file's {original}")


def test_size_mismatch_in_control_file(bank: Bank, before: Before) -> None:
    control = bank.control_path(TXN, D2)
    name, day, count, size, md5 = control.read_text(encoding="ascii").strip().split("|")
    control.write_text(f"{name}|{day}|{count}|{int(size) + 7}|{md5}\n", encoding="ascii")
    _assert_core_d2_rejected(
        bank, before,
        f"1 of 8 files failed: {TXN_FILE}: byte size {size} differs from the control file's {int(size) + 7} "
        "(truncated or altered in transit)")


def test_record_count_mismatch(bank: Bank, before: Before) -> None:
    bank.write_bytes(TXN, D2, bank.data_path(TXN, D2).read_bytes(), record_count=301)
    _assert_core_d2_rejected(
        bank, before, f"1 of 8 files failed: {TXN_FILE}: 300 records in the file, the control file says 301")


def test_missing_control_file(bank: Bank, before: Before) -> None:
    bank.control_path("core.customers", D2).unlink()
    _assert_core_d2_rejected(
        bank, before, "1 of 8 files failed: CUST_INFO_20250131.dat: control file CUST_INFO_20250131.flg missing")


def test_missing_data_file(bank: Bank, before: Before) -> None:
    bank.data_path("core.interest_accruals", D2).unlink()
    _assert_core_d2_rejected(bank, before, "1 of 8 files failed: INT_ACCR_20250131.dat: data file missing")


def test_missing_data_and_control_file(bank: Bank, before: Before) -> None:
    bank.data_path("core.loans", D2).unlink()
    bank.control_path("core.loans", D2).unlink()
    _assert_core_d2_rejected(
        bank, before,
        "1 of 8 files failed: LOAN_INFO_20250131.dat: data file missing (and its control file LOAN_INFO_20250131.flg)")


def test_malformed_control_file(bank: Bank, before: Before) -> None:
    bank.control_path(TXN, D2).write_text("TXN_DTL_20250131.dat|20250131|300\n", encoding="ascii")
    _assert_core_d2_rejected(
        bank, before,
        f"1 of 8 files failed: {TXN_FILE}: control file unusable: TXN_DTL_20250131.flg: expected 5 '|'-separated "
        "fields (file_name|business_date|record_count|byte_size|md5), found 3")


def test_control_file_for_another_date(bank: Bank, before: Before) -> None:
    control = bank.control_path(TXN, D2)
    control.write_text(control.read_text(encoding="ascii").replace("|20250131|", "|20250130|"), encoding="ascii")
    _assert_core_d2_rejected(
        bank, before,
        f"1 of 8 files failed: {TXN_FILE}: control file TXN_DTL_20250131.flg is for business date 20250130, "
        "the delivery is 20250131")


def test_wrong_encoding_utf8_instead_of_gbk(bank: Bank, before: Before) -> None:
    text = bank.data_path(TXN, D2).read_bytes().decode("gbk")
    bank.write_bytes(TXN, D2, text.encode("utf-8"))
    # every non-ASCII line is UTF-8, whether or not its bytes happen to be valid GBK too: the whole file is UTF-8
    _assert_core_d2_rejected(
        bank, before, f"1 of 8 files failed: {TXN_FILE}: the file is UTF-8 encoded but the contract says GBK")


def test_bytes_valid_in_neither_encoding_reject_the_file(bank: Bank, before: Before) -> None:
    lines = bank.lines(TXN, D2)
    data = b"".join(line.encode("gbk") + b"\n" for line in lines[:4]) + b"T|\xff\xfe|x\n" + \
        b"".join(line.encode("gbk") + b"\n" for line in lines[5:])
    bank.write_bytes(TXN, D2, data)
    _assert_core_d2_rejected(
        bank, before, f"1 of 8 files failed: {TXN_FILE}: not valid GBK at line 5, byte 3 (bytes ff fe 7c 78)")


def test_wrong_encoding_gbk_instead_of_utf8(bank: Bank, before: Before) -> None:
    key = "cards.card_transactions"
    lines = bank.lines(key, D2)
    bank.write_bytes(key, D2, ("\n".join(lines) + "\n").encode("gbk"))
    line_no = next(i for i, line in enumerate(lines, start=1) if not line.isascii())
    raw = lines[line_no - 1].encode("gbk")
    col = next(i for i, b in enumerate(raw) if b >= 0x80) + 1
    report = bank.ingest()
    o = outcome(report, "cards", D2)
    assert o.outcome == "REJECTED"
    assert o.reason == (f"1 of 3 files failed: card_txns_20250131.csv: not valid UTF-8 at line {line_no}, "
                        f"byte {col} (bytes {raw[col - 1:col + 3].hex(' ')})")
    assert bank.count("cards__card_transactions", f"_business_date = '{D2}'") == 0
    assert bank.count("cards__card_statements") == 0
    before.assert_unchanged()


def test_header_mismatch(bank: Bank, before: Before) -> None:
    key = "cards.card_transactions"
    lines = bank.lines(key, D2)
    lines[0] = lines[0].replace(",amount,", ",amt,")
    bank.write_lines(key, D2, lines)
    report = bank.ingest()
    o = outcome(report, "cards", D2)
    assert (o.outcome, o.reason) == (
        "REJECTED",
        "1 of 3 files failed: card_txns_20250131.csv: header does not match the contract: column 9 is 'amt', "
        "the contract says 'amount'")
    assert bank.count("cards__cards", f"_business_date = '{D2}'") == 0
    before.assert_unchanged()


def test_header_missing_a_column(bank: Bank, before: Before) -> None:
    key = "ref.branches"
    lines = bank.lines(key, D2)
    lines[0] = lines[0].removesuffix(",status")
    bank.write_lines(key, D2, lines)
    report = bank.ingest()
    o = outcome(report, "ref", D2)
    assert o.outcome == "REJECTED"
    assert o.reason == (
        "1 of 6 files failed: BRANCH_20250131.csv: header has 7 columns, the contract 8: expected "
        "'branch_code,branch_name,branch_level,parent_branch_code,city,open_date,close_date,status', found "
        "'branch_code,branch_name,branch_level,parent_branch_code,city,open_date,close_date'")
    before.assert_unchanged()


def test_empty_file_without_its_header(bank: Bank, before: Before) -> None:
    bank.write_bytes("ref.products", D2, b"")
    report = bank.ingest()
    o = outcome(report, "ref", D2)
    assert (o.outcome, o.reason) == (
        "REJECTED", "1 of 6 files failed: PRODUCT_20250131.csv: empty file, but the contract requires a header line")
    before.assert_unchanged()


def test_empty_file_with_zero_records_is_a_valid_delivery(bank: Bank, before: Before) -> None:
    bank.write_bytes(TXN, D2, b"")  # a day without transactions: control says 0 records, 0 bytes
    report = bank.ingest()
    o = outcome(report, "core", D2)
    assert o.outcome == "LOADED"
    assert bank.count("core__transactions", f"_business_date = '{D2}'") == 0
    assert bank.count("core__customers", f"_business_date = '{D2}'") == 3
    row = bank.query("SELECT byte_size, control_record_count, rows_read, rows_loaded, status FROM "
                     "audit.delivery_files WHERE file_name = ?", [TXN_FILE])
    assert row == [(0, 0, 0, 0, "LOADED")]
    before.assert_unchanged()


def test_unexpected_extra_file(bank: Bank, before: Before) -> None:
    (bank.delivery_dir("core", D2) / "TXN_DTL_20250131.dat.bak").write_bytes(b"old copy\n")
    _assert_core_d2_rejected(
        bank, before,
        "1 of 9 files failed: TXN_DTL_20250131.dat.bak: unexpected file (no contract of core describes it)")
    row = bank.query("SELECT extract, status, reason, byte_size FROM audit.delivery_files "
                     "WHERE file_name = 'TXN_DTL_20250131.dat.bak'")
    assert row == [(None, "REJECTED", "unexpected file in the delivery", 9)]


def test_month_end_extract_on_an_ordinary_day(bank: Bank, before: Before) -> None:
    bank.add_day(D3)
    src = bank.data_path("core.interest_accruals", D2)
    target = bank.delivery_dir("core", D3) / "INT_ACCR_20250201.dat"
    target.write_bytes(src.read_bytes())
    report = bank.ingest()
    o = outcome(report, "core", D3)
    assert (o.outcome, o.reason) == (
        "REJECTED",
        "1 of 8 files failed: INT_ACCR_20250201.dat: unexpected file: core delivers interest_accruals only at "
        "month end")
    assert outcome(report, "core", D2).outcome == "LOADED"
    before.assert_unchanged()


def test_file_named_for_another_date(bank: Bank, before: Before) -> None:
    src = bank.data_path(TXN, D2)
    (src.parent / "TXN_DTL_20250130.dat").write_bytes(src.read_bytes())
    _assert_core_d2_rejected(
        bank, before,
        "1 of 9 files failed: TXN_DTL_20250130.dat: unexpected file: it is for business date 20250130, "
        "the delivery for 20250131")


def test_several_files_failing_are_all_named(bank: Bank, before: Before) -> None:
    bank.control_path("core.customers", D2).unlink()
    data = bank.data_path(TXN, D2).read_bytes()
    bank.write_bytes(TXN, D2, data[:-1], fix_control=False)
    _assert_core_d2_rejected(
        bank, before,
        "2 of 8 files failed: CUST_INFO_20250131.dat: control file CUST_INFO_20250131.flg missing; "
        f"{TXN_FILE}: byte size {len(data) - 1} differs from the control file's {len(data)} "
        "(truncated or altered in transit)")
    assert D3  # the next day is not part of this case


def test_last_line_without_its_line_end(bank: Bank, before: Before) -> None:
    # issue 13.15: the writer was cut short inside the last record and the control file was written after the cut,
    # so size, MD5 and record count all agree; the last amount would load truncated
    data = bank.data_path(TXN, D2).read_bytes()
    cut = data.rstrip(b"\n")[:-3]
    bank.write_bytes(TXN, D2, cut)
    assert bank.control_path(TXN, D2).read_text(encoding="ascii").split("|")[2] == "300"
    _assert_core_d2_rejected(
        bank, before,
        f"1 of 8 files failed: {TXN_FILE}: the last line (300) has no line end: the file was cut short "
        "(every record ends with a line break)")
