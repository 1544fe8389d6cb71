"""Bad rows inside files that pass their file checks: each goes to audit.rejected_rows with its line number, raw
text, column and reason; the rest of the file loads. Too many of them (over the contract's max_reject_ratio) reject
the delivery, and the rejected rows are still kept."""

from __future__ import annotations

from decimal import Decimal

from badinput.conftest import Before, assert_only_failed, outcome

from support.deliveries import Bank
from support.minibank import D2

TXN = "core.transactions"
TXN_FILE = "TXN_DTL_20250131.dat"
WHERE_D2 = f"_business_date = '{D2}'"


def _loaded_with_rejects(bank: Bank, before: Before, system: str = "core") -> int:
    report = bank.ingest()
    o = outcome(report, system, D2)
    assert o.outcome == "LOADED", o.line()
    assert_only_failed(report, set())
    before.assert_unchanged()
    assert o.batch_id is not None
    return o.batch_id


def test_non_numeric_amount(bank: Bank, before: Before) -> None:
    old, new = bank.edit_field(TXN, D2, 10, "amount", "abc")
    batch = _loaded_with_rejects(bank, before)
    assert bank.rejected_rows(batch) == [
        (TXN_FILE, 10, "amount", "TYPE",
         "amount: 'abc' is not a DECIMAL(18,2) (digits with an optional sign and at most 2 decimal places)", new)]
    assert bank.count("core__transactions", WHERE_D2) == 299
    txn_id = old.split("|")[0]
    assert bank.count("core__transactions", f"txn_id = '{txn_id}'") == 0
    d = bank.deliveries("core")[-1]
    assert (d["rows_loaded"], d["rows_rejected"], d["control_records"]) == (299 + 3 + 1 + 1 + 156 + 5 + 151 + 4, 1, 621)
    assert bank.query("SELECT rows_read, rows_loaded, rows_rejected, status FROM audit.delivery_files "
                      "WHERE file_name = ?", [TXN_FILE]) == [(300, 299, 1, "LOADED")]


def test_amount_with_too_many_decimals_is_not_rounded(bank: Bank, before: Before) -> None:
    _, new = bank.edit_field(TXN, D2, 7, "amount", "12.345")
    _, new2 = bank.edit_field(TXN, D2, 8, "fee_amount", "1e3")
    batch = _loaded_with_rejects(bank, before)
    assert [(r[1], r[2], r[3], r[5]) for r in bank.rejected_rows(batch)] == [
        (7, "amount", "TYPE", new), (8, "fee_amount", "TYPE", new2)]
    assert bank.count("core__transactions", f"{WHERE_D2} AND amount IN (12.35, 12.34, 1000)") == 0
    total = bank.scalar(f"SELECT sum(amount) FROM raw.core__transactions WHERE {WHERE_D2}")
    expected = sum(Decimal((i * 37 + 1) % 100000) * Decimal("0.25") for i in range(1, 301) if i not in (7, 8))
    assert total == expected


def test_invalid_date(bank: Bank, before: Before) -> None:
    _, new = bank.edit_field(TXN, D2, 3, "txn_date", "20250230")
    _, new2 = bank.edit_field(TXN, D2, 4, "txn_date", "2025-01-31")
    batch = _loaded_with_rejects(bank, before)
    assert bank.rejected_rows(batch) == [
        (TXN_FILE, 3, "txn_date", "TYPE", "txn_date: '20250230' is not a date in the format YYYYMMDD", new),
        (TXN_FILE, 4, "txn_date", "TYPE", "txn_date: '2025-01-31' is not a date in the format YYYYMMDD", new2),
    ]


def test_not_null_violation(bank: Bank, before: Before) -> None:
    _, new = bank.edit_field(TXN, D2, 42, "channel", "")
    batch = _loaded_with_rejects(bank, before)
    assert bank.rejected_rows(batch) == [
        (TXN_FILE, 42, "channel", "NOT_NULL", "channel is empty but the contract requires a value (NOT NULL)", new)]


def test_one_row_with_several_problems_counts_once(bank: Bank, before: Before) -> None:
    bank.edit_field(TXN, D2, 5, "amount", "x")
    bank.edit_field(TXN, D2, 5, "currency", "")
    batch = _loaded_with_rejects(bank, before)
    rows = [(r[1], r[2], r[3]) for r in bank.rejected_rows(batch)]
    assert rows == [(5, "currency", "NOT_NULL"), (5, "amount", "TYPE")]
    assert bank.query("SELECT rows_loaded, rows_rejected FROM audit.delivery_files WHERE file_name = ?",
                      [TXN_FILE]) == [(299, 1)]


def test_duplicate_primary_key_rejects_every_copy(bank: Bank, before: Before) -> None:
    lines = bank.lines(TXN, D2)
    txn_id = lines[9].split("|")[0]
    fields = lines[19].split("|")
    fields[0] = txn_id
    lines[19] = "|".join(fields)
    bank.write_lines(TXN, D2, lines)
    batch = _loaded_with_rejects(bank, before)
    reason = f"primary key (txn_id) = ({txn_id}) appears 2 times in the file, on lines 10, 20"
    assert bank.rejected_rows(batch) == [
        (TXN_FILE, 10, None, "DUPLICATE_KEY", reason, lines[9]),
        (TXN_FILE, 20, None, "DUPLICATE_KEY", reason, lines[19]),
    ]
    assert bank.count("core__transactions", WHERE_D2) == 298
    assert bank.count("core__transactions", f"txn_id = '{txn_id}'") == 0
    # line numbers of the rows that loaded still point at their lines
    assert bank.scalar("SELECT txn_id FROM raw.core__transactions WHERE _business_date = ? AND _line_number = 21",
                       [D2]) == lines[20].split("|")[0]


def test_orphan_foreign_key(bank: Bank, before: Before) -> None:
    _, new = bank.edit_field(TXN, D2, 30, "account_no", "A999999999999999")
    batch = _loaded_with_rejects(bank, before)
    assert bank.rejected_rows(batch) == [
        (TXN_FILE, 30, "account_no", "ORPHAN_FOREIGN_KEY",
         "foreign key (account_no) = (A999999999999999) not found in core.accounts "
         "(neither in this delivery nor already loaded)", new)]


def test_reference_to_a_row_of_the_same_delivery_is_fine(bank: Bank, before: Before) -> None:
    # account A...151 is opened in D2's ACCT_INFO; a D2 transaction on it must load
    bank.edit_field(TXN, D2, 31, "account_no", "A000000000000151")
    _loaded_with_rejects(bank, before)
    assert bank.count("core__transactions", f"{WHERE_D2} AND account_no = 'A000000000000151'") == 1


def test_reference_to_a_rejected_row_is_an_orphan(bank: Bank, before: Before) -> None:
    # the new account's row is rejected (bad rate), so a D2 balance on that account has nothing to point at
    key = "core.accounts"
    _, acct_line = bank.edit_field(key, D2, 1, "interest_rate", "0.0035000")
    balance_lines = bank.lines("core.balances", D2)
    record = next(i for i, line in enumerate(balance_lines, start=1) if line.startswith("A000000000000151|"))
    report = bank.ingest()
    o = outcome(report, "core", D2)
    assert o.outcome == "REJECTED"  # one account of one is 100 %: over the reject ratio
    batch = o.batch_id
    rows = bank.rejected_rows(batch)
    assert ("ACCT_INFO_20250131.dat", 1, "interest_rate", "TYPE") in [r[:4] for r in rows]
    assert ("ACCT_BAL_20250131.dat", record, "account_no", "ORPHAN_FOREIGN_KEY") in [r[:4] for r in rows]
    assert ("INT_ACCR_20250131.dat", 151, "account_no", "ORPHAN_FOREIGN_KEY") in [r[:4] for r in rows]
    assert acct_line in [r[5] for r in rows]
    before.assert_unchanged()


def test_extra_column_in_one_row(bank: Bank, before: Before) -> None:
    lines = bank.lines(TXN, D2)
    lines[99] += "|EXTRA"
    bank.write_lines(TXN, D2, lines)
    batch = _loaded_with_rejects(bank, before)
    assert bank.rejected_rows(batch) == [
        (TXN_FILE, 100, None, "FIELD_COUNT", "wrong number of fields: Expected Number of Columns: 13 Found: 14",
         lines[99])]
    assert bank.count("core__transactions", WHERE_D2) == 299
    # rows after the rejected line keep their own line numbers
    assert bank.scalar("SELECT txn_id FROM raw.core__transactions WHERE _business_date = ? AND _line_number = 101",
                       [D2]) == lines[100].split("|")[0]


def test_missing_column_in_one_row(bank: Bank, before: Before) -> None:
    lines = bank.lines(TXN, D2)
    lines[47] = lines[47].rsplit("|", 1)[0]  # record 48 has a plain counterparty name: drop that last field
    bank.write_lines(TXN, D2, lines)
    batch = _loaded_with_rejects(bank, before)
    assert [(r[1], r[3], r[4], r[5]) for r in bank.rejected_rows(batch)] == [
        (48, "FIELD_COUNT", "wrong number of fields: Expected Number of Columns: 13 Found: 12", lines[47])]


def test_unterminated_quote_swallows_the_next_line(bank: Bank, before: Before) -> None:
    lines = bank.lines(TXN, D2)
    assert lines[49].endswith('|"北京|某某商贸"')
    lines[49] = lines[49][:-1]  # the closing quote is lost: the field runs on into line 51
    bank.write_lines(TXN, D2, lines)
    report = bank.ingest()
    o = outcome(report, "core", D2)
    assert (o.outcome, o.reason) == (
        "REJECTED",
        f"1 of 8 files failed: {TXN_FILE}: row accounting does not balance: 298 loaded + 1 rejected ≠ 300 records "
        "in the control file (a quoted field spanning lines?)")
    assert bank.count("core__transactions", WHERE_D2) == 0
    before.assert_unchanged()


def test_wrong_delimiter(bank: Bank, before: Before) -> None:
    lines = [line.replace("|", ",") for line in bank.lines(TXN, D2)]
    bank.write_lines(TXN, D2, lines)
    report = bank.ingest()
    o = outcome(report, "core", D2)
    assert o.outcome == "REJECTED"
    assert o.reason == (
        f"1 of 8 files failed: {TXN_FILE}: 300 of 300 records rejected (100.00%), more than the contract allows "
        "(max_reject_ratio 1.00%: at most 3); most common: FIELD_COUNT (300)")
    rows = bank.rejected_rows(o.batch_id)  # type: ignore[arg-type]
    assert [r[1] for r in rows] == list(range(1, 301))
    assert {r[3] for r in rows} == {"FIELD_COUNT"}
    assert rows[0][5] == lines[0]
    assert bank.count("core__transactions", WHERE_D2) == 0
    assert bank.count("core__customers", WHERE_D2) == 0
    d = bank.deliveries("core")[-1]
    assert (d["status"], d["reason_code"], d["rows_loaded"], d["rows_rejected"]) == ("REJECTED", "CHECK_FAILED", 0, 300)
    before.assert_unchanged()


def test_reject_ratio_exceeded(bank: Bank, before: Before) -> None:
    for record in (11, 22, 33, 44):  # 4 of 300: over 1 % (at most 3)
        bank.edit_field(TXN, D2, record, "amount", "n/a")
    report = bank.ingest()
    o = outcome(report, "core", D2)
    assert (o.outcome, o.reason) == (
        "REJECTED",
        f"1 of 8 files failed: {TXN_FILE}: 4 of 300 records rejected (1.33%), more than the contract allows "
        "(max_reject_ratio 1.00%: at most 3); most common: TYPE (4)")
    # the rejected rows of the failed delivery are kept
    assert [(r[1], r[2], r[3]) for r in bank.rejected_rows(o.batch_id)] == [  # type: ignore[arg-type]
        (11, "amount", "TYPE"), (22, "amount", "TYPE"), (33, "amount", "TYPE"), (44, "amount", "TYPE")]
    assert bank.count("core__transactions", WHERE_D2) == 0
    files = dict(bank.query("SELECT file_name, status FROM audit.delivery_files WHERE batch_id = ?", [o.batch_id]))
    assert files[TXN_FILE] == "REJECTED" and files["CUST_INFO_20250131.dat"] == "NOT_LOADED"
    before.assert_unchanged()


def test_three_bad_rows_of_300_are_within_the_ratio(bank: Bank, before: Before) -> None:
    for record in (11, 22, 33):
        bank.edit_field(TXN, D2, record, "amount", "n/a")
    batch = _loaded_with_rejects(bank, before)
    assert len(bank.rejected_rows(batch)) == 3


def test_small_file_tolerates_no_bad_row(bank: Bank, before: Before) -> None:
    # 4 branches: 1 % of 4 rounds down to 0 allowed rejects
    bank.edit_field("ref.branches", D2, 2, "open_date", "2000-13-01")
    report = bank.ingest()
    o = outcome(report, "ref", D2)
    assert (o.outcome, o.reason) == (
        "REJECTED",
        "1 of 6 files failed: BRANCH_20250131.csv: 1 of 4 records rejected (25.00%), more than the contract allows "
        "(max_reject_ratio 1.00%: at most 0); most common: TYPE (1)")
    assert bank.rejected_rows(o.batch_id)[0][1:4] == (3, "open_date", "TYPE")  # type: ignore[arg-type]
    before.assert_unchanged()


def test_empty_line_in_the_middle(bank: Bank, before: Before) -> None:
    lines = bank.lines(TXN, D2)
    lines.insert(150, "")
    bank.write_lines(TXN, D2, lines)  # the control file counts 301 lines
    batch = _loaded_with_rejects(bank, before)
    assert bank.rejected_rows(batch) == [(TXN_FILE, 151, None, "EMPTY_LINE", "empty line", "")]
    assert bank.count("core__transactions", WHERE_D2) == 300
    assert bank.scalar("SELECT txn_id FROM raw.core__transactions WHERE _business_date = ? AND _line_number = 152",
                       [D2]) == lines[151].split("|")[0]


def test_fixed_width_record_of_the_wrong_length(bank: Bank, before: Before) -> None:
    key = "accounting.ledger_entries"
    lines = bank.lines(key, D2)
    lines[19] = lines[19][:-5]
    bank.write_lines(key, D2, lines)
    batch = _loaded_with_rejects(bank, before, system="accounting")
    assert bank.rejected_rows(batch) == [
        ("GL_ENTRY_20250131.txt", 20, None, "RECORD_LENGTH", "record is 103 bytes, the fixed-width layout needs 108",
         lines[19])]
    assert bank.count("accounting__ledger_entries", WHERE_D2) == 149
    assert bank.scalar("SELECT max(_line_number) FROM raw.accounting__ledger_entries WHERE _business_date = ?",
                       [D2]) == 150


def test_fixed_width_field_boundary_inside_a_chinese_character(bank: Bank, before: Before) -> None:
    key = "accounting.ledger_entries"
    data = bytearray(bank.data_path(key, D2).read_bytes())
    width = bank.contract(key).record_width + 1
    record = 3  # its description is Chinese (工资发放…): shift it one byte left, into the amount field
    start = (record - 1) * width
    amount_end = start + 68  # amount occupies bytes 51-68
    line = data[start:start + width - 1]
    assert line[68:70] == "工".encode("gbk")
    shifted = line[:67] + line[68:] + b" "
    data[start:start + width - 1] = shifted
    bank.write_bytes(key, D2, bytes(data))
    assert amount_end
    batch = _loaded_with_rejects(bank, before, system="accounting")
    assert bank.rejected_rows(batch) == [
        ("GL_ENTRY_20250131.txt", 3, "amount", "SPLIT_CHARACTER",
         "amount (bytes 51-68) starts or ends inside a double-byte GBK character",
         bytes(shifted).decode("gbk", errors="replace"))]
    assert bank.count("accounting__ledger_entries", WHERE_D2) == 149


def _utf8_line_in_gbk_file(bank: Bank, key: str, record: int) -> tuple[bytes, str]:
    """Re-encode one record of a GBK file as UTF-8 (as a source that builds one line by another route does)."""
    c = bank.contract(key)
    lines = bank.lines(key, D2)
    index = record - 1 + (1 if c.format.header else 0)
    data = b"".join((line.encode("utf-8") if i == index else line.encode("gbk")) + b"\n"
                    for i, line in enumerate(lines))
    bank.write_bytes(key, D2, data)
    return data, lines[index]


UTF8_REASON = "the line is UTF-8 encoded, the contract says GBK (it would load garbled)"


def test_one_utf8_line_in_a_gbk_file_is_rejected_not_garbled(bank: Bank, before: Before) -> None:
    # issue 13.7: UTF-8 Chinese decodes as GBK without an error (杨静 becomes 鏉ㄩ潤); the check is per line
    _, line = _utf8_line_in_gbk_file(bank, TXN, 3)
    assert line.endswith("|对方3")
    assert "对方3".encode().decode("gbk", errors="strict")  # the mojibake the file check alone let through
    batch = _loaded_with_rejects(bank, before)
    assert bank.rejected_rows(batch) == [(TXN_FILE, 3, None, "ENCODING", UTF8_REASON, line)]
    assert bank.count("core__transactions", WHERE_D2) == 299
    assert bank.scalar(f"SELECT count(*) FROM raw.core__transactions WHERE {WHERE_D2} AND _line_number = 3") == 0
    # the lines after it keep their numbers and text
    assert bank.scalar(f"SELECT counterparty_name FROM raw.core__transactions WHERE {WHERE_D2} "
                       "AND _line_number = 4") == "对方4"


def test_utf8_customer_line_in_a_gbk_file_rejects_the_small_delivery(bank: Bank, before: Before) -> None:
    _, line = _utf8_line_in_gbk_file(bank, "core.customers", 2)
    assert "王五" in line  # its UTF-8 bytes are not valid GBK: set aside by line all the same
    report = bank.ingest()
    o = outcome(report, "core", D2)
    assert o.outcome == "REJECTED"
    assert "CUST_INFO_20250131.dat: 1 of 3 records rejected" in (o.reason or "")
    assert "most common: ENCODING (1)" in (o.reason or "")
    assert bank.count("core__customers", WHERE_D2) == 0
    before.assert_unchanged()
    assert o.batch_id is not None
    assert [r[1:4] for r in bank.rejected_rows(o.batch_id)] == [(2, None, "ENCODING")]


def test_utf8_line_in_a_fixed_width_gbk_file(bank: Bank, before: Before) -> None:
    key = "accounting.ledger_entries"
    _, line = _utf8_line_in_gbk_file(bank, key, 3)
    assert "工资发放" in line
    batch = _loaded_with_rejects(bank, before, system="accounting")
    assert bank.rejected_rows(batch) == [("GL_ENTRY_20250131.txt", 3, None, "ENCODING", UTF8_REASON, line)]
    assert bank.count("accounting__ledger_entries", WHERE_D2) == 149


def test_huge_but_valid_amount_is_a_named_range_reject(bank: Bank, before: Before) -> None:
    # issue 13.10: 9999999999999999.99 fits DECIMAL(18,2) but broke the build's sums; the contract bounds it
    _, new = bank.edit_field(TXN, D2, 12, "amount", "9999999999999999.99")
    _, new2 = bank.edit_field(TXN, D2, 13, "fee_amount", "-0.01")
    batch = _loaded_with_rejects(bank, before)
    assert bank.rejected_rows(batch) == [
        (TXN_FILE, 12, "amount", "RANGE", "amount: '9999999999999999.99' is outside the plausible range of the "
                                          "contract (must be between 0 and 100,000,000,000)", new),
        (TXN_FILE, 13, "fee_amount", "RANGE", "fee_amount: '-0.01' is outside the plausible range of the contract "
                                              "(must be between 0 and 100,000,000)", new2),
    ]
    assert bank.count("core__transactions", WHERE_D2) == 298


def test_range_bounds_are_inclusive(bank: Bank, before: Before) -> None:
    bank.edit_field(TXN, D2, 12, "amount", "100000000000.00")
    bank.edit_field(TXN, D2, 13, "fee_amount", "0.00")
    batch = _loaded_with_rejects(bank, before)
    assert bank.rejected_rows(batch) == []
    assert bank.scalar(f"SELECT amount FROM raw.core__transactions WHERE {WHERE_D2} AND _line_number = 12") == \
        Decimal("100000000000.00")


def test_out_of_range_in_a_fixed_width_file(bank: Bank, before: Before) -> None:
    key = "accounting.ledger_entries"
    lines = bank.lines(key, D2)
    start = bank.contract(key).column("amount").start - 1  # type: ignore[operator]
    raw = lines[4].encode("gbk")
    lines[4] = (raw[:start] + b"+99999999999999.99" + raw[start + 18:]).decode("gbk")
    bank.write_lines(key, D2, lines)
    batch = _loaded_with_rejects(bank, before, system="accounting")
    assert [r[1:5] for r in bank.rejected_rows(batch)] == [
        (5, "amount", "RANGE", "amount: '+99999999999999.99' is outside the plausible range of the contract (must be "
                               "between -10,000,000,000,000 and 10,000,000,000,000)")]


def test_gbk_text_that_happens_to_be_valid_utf8_loads(bank: Bank, before: Before) -> None:
    # 石雪一 in GBK (ca af d1 a9 d2 bb) is valid UTF-8 too ('ʯѩһ'), as short GBK names often are: not a UTF-8 line
    assert "石雪一".encode("gbk").decode("utf-8") == "ʯѩһ"
    bank.edit_field(TXN, D2, 3, "counterparty_name", "石雪一")
    batch = _loaded_with_rejects(bank, before)
    assert bank.rejected_rows(batch) == []
    assert bank.scalar(f"SELECT counterparty_name FROM raw.core__transactions WHERE {WHERE_D2} "
                       "AND _line_number = 3") == "石雪一"


def test_response_to_a_contact_that_does_not_exist(bank: Bank, before: Before) -> None:
    # a campaign response naming a contact the marketing platform never delivered: rejected with its reason, the
    # rest of the day's responses load
    key = "marketing.responses"
    old, new = bank.edit_field(key, D2, 5, "contact_id", "K20250131999999")
    batch = _loaded_with_rejects(bank, before, system="marketing")
    rows = bank.rejected_rows(batch)
    assert [(r[0], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("MKT_RESPONSE_20250131.csv", "contact_id", "ORPHAN_FOREIGN_KEY",
         "foreign key (contact_id) = (K20250131999999) not found in marketing.contacts "
         "(neither in this delivery nor already loaded)", new)]
    response_id = old.split(",")[0]
    assert bank.count("marketing__responses", f"response_id = '{response_id}'") == 0
    assert bank.count("marketing__responses", WHERE_D2) == 103


def test_account_party_naming_an_unknown_account_is_rejected_with_its_reason(bank: Bank, before: Before) -> None:
    # D2's account-party file holds the one account opened that day; naming an account the bank never delivered is an
    # orphan foreign key: the row is kept with its reason, and as 1 of 1 rows it rejects the small core delivery
    _, new = bank.edit_field("core.account_parties", D2, 1, "account_no", "A999999999999999")
    report = bank.ingest()
    o = outcome(report, "core", D2)
    assert o.outcome == "REJECTED", o.line()
    assert "ACCT_PARTY_20250131.dat: 1 of 1 records rejected" in (o.reason or ""), o.reason
    assert ("ACCT_PARTY_20250131.dat", 1, "account_no", "ORPHAN_FOREIGN_KEY",
            "foreign key (account_no) = (A999999999999999) not found in core.accounts "
            "(neither in this delivery nor already loaded)", new) in bank.rejected_rows(o.batch_id)  # type: ignore[arg-type]
    before.assert_unchanged()
