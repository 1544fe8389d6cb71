"""Personal data in rejected lines (issue 13.14): ``audit.rejected_rows.raw_text`` keeps a rejected line for diagnosis
with its PII fields (contract columns marked ``pii: true``) masked, one ``*`` per character; a line whose fields
cannot be placed for certain is withheld but for its field count. The line number, column and reason stay."""

from __future__ import annotations

import pytest
from badinput.conftest import Before, outcome

from support.deliveries import Bank
from support.minibank import D2

CUST = "core.customers"
CUST_FILE = "CUST_INFO_20250131.dat"


def _mask(bank: Bank, line: str) -> str:
    c = bank.contract(CUST)
    fields = line.split("|")
    return "|".join("*" * len(v) if col.pii else v for v, col in zip(fields, c.columns, strict=True))


def _rejected(bank: Bank, before: Before, method: str = "batch") -> list[tuple]:
    o = outcome(bank.ingest(method=method), "core", D2)
    assert o.outcome == "REJECTED"  # three customers: no bad row tolerated; the rejected rows are kept all the same
    before.assert_unchanged()
    assert o.batch_id is not None
    return bank.rejected_rows(o.batch_id)


@pytest.mark.parametrize("method", ["batch", "one_at_a_time"])
def test_pii_fields_of_a_rejected_line_are_masked(bank: Bank, before: Before, method: str) -> None:
    _, new = bank.edit_field(CUST, D2, 2, "open_date", "20201340")
    rows = _rejected(bank, before, method)
    masked = _mask(bank, new)
    assert rows == [(CUST_FILE, 2, "open_date", "TYPE", "open_date: '20201340' is not a date in the format YYYYMMDD",
                     masked)]
    fields = dict(zip(bank.contract(CUST).column_names, masked.split("|"), strict=True))
    assert fields["customer_name"] == "**" and fields["id_number"] == "*" * 18
    assert fields["cif_no"] == new.split("|")[0] and fields["open_date"] == "20201340"
    for secret in ("王五", new.split("|")[4], new.split("|")[17], new.split("|")[18]):
        assert secret not in masked
    # nowhere else in audit either
    text = " ".join(str(v) for row in bank.query("SELECT * FROM audit.rejected_rows") for v in row)
    assert "王五" not in text and new.split("|")[4] not in text


def test_a_line_whose_fields_cannot_be_placed_is_withheld(bank: Bank, before: Before) -> None:
    lines = bank.lines(CUST, D2)
    lines[1] += "|extra"
    bank.write_lines(CUST, D2, lines)
    rows = _rejected(bank, before)
    assert [(r[1], r[3], r[5]) for r in rows] == [
        (2, "FIELD_COUNT", "[withheld: 21 fields, the contract has 20; the line may hold personal data]")]


def test_a_utf8_line_is_masked_too(bank: Bank, before: Before) -> None:
    lines = bank.lines(CUST, D2)
    data = b"".join((line.encode("utf-8") if i == 0 else line.encode("gbk")) + b"\n" for i, line in enumerate(lines))
    bank.write_bytes(CUST, D2, data)
    rows = _rejected(bank, before)
    assert [(r[1], r[3], r[5]) for r in rows] == [(1, "ENCODING", _mask(bank, lines[0]))]
