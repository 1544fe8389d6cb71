"""A reused key (issue 13.11): a customer number already loaded arrives with another customer type and ID document.
Loading it would move a person's history to a company; the row is rejected (IDENTITY_CHANGED) with a reason naming
what changed (old and new values, but never a PII value), and the customer keeps what was loaded."""

from __future__ import annotations

import pytest
from badinput.conftest import Before, outcome

from support.deliveries import Bank
from support.minibank import D2, D3

CUST = "core.customers"
CUST_FILE = "CUST_INFO_20250131.dat"


@pytest.mark.parametrize("method", ["batch", "one_at_a_time"])
def test_reused_customer_number_is_rejected(bank: Bank, before: Before, method: str) -> None:
    bank.edit_field(CUST, D2, 1, "customer_type", "C")
    bank.edit_field(CUST, D2, 1, "id_type", "21")
    old, _ = bank.edit_field(CUST, D2, 1, "id_number", "91110000MA00000000")
    cif = old.split("|")[0]
    report = bank.ingest(method=method)
    o = outcome(report, "core", D2)
    assert o.outcome == "REJECTED"  # 1 of 3 customers: over the reject ratio
    assert f"{CUST_FILE}: 1 of 3 records rejected" in (o.reason or "")
    assert "most common: IDENTITY_CHANGED (1)" in (o.reason or "")
    first = bank.scalar("SELECT min(_batch_id) FROM raw.core__customers WHERE cif_no = ?", [cif])
    assert o.batch_id is not None
    rows = bank.rejected_rows(o.batch_id)
    assert [r[:5] for r in rows] == [
        (CUST_FILE, 1, "customer_type, id_type, id_number", "IDENTITY_CHANGED",
         f"cif_no = ({cif}) was loaded before (batch {first}) as another party: customer_type P → C; id_type 01 → 21; "
         "id_number differs; a reused key? the row is held back (rejected) for review")]
    assert old.split("|")[4] not in rows[0][4]  # the ID number itself is not in the reason
    assert bank.query("SELECT customer_type, id_number FROM raw.core__customers WHERE cif_no = ?", [cif]) == [
        ("P", old.split("|")[4])]
    before.assert_unchanged()


def test_same_identity_with_other_changes_loads(bank: Bank, before: Before) -> None:
    old, _ = bank.edit_field(CUST, D2, 1, "customer_name", "李四改")  # a new name, same person and document
    o = outcome(bank.ingest(), "core", D2)
    assert o.outcome == "LOADED" and o.rows_rejected == 0
    cif = old.split("|")[0]
    assert bank.query("SELECT customer_name FROM raw.core__customers WHERE cif_no = ? ORDER BY _batch_id",
                      [cif]) == [("李四",), ("李四改",)]


def test_reused_key_in_a_later_delivery_of_the_same_run(bank: Bank, before: Before) -> None:
    """D2 and D3 load in one set-based pass; D3 re-sends a customer of D2 as a company: compared with the customer's
    first loaded row, it is rejected as it would be loading one delivery at a time."""
    bank.add_day(D3)
    lines = bank.lines(CUST, D3)
    d3 = bank.lines(CUST, D2)[0].split("|")
    d3[1], d3[-1] = "C", "20250201"
    bank.write_lines(CUST, D3, [*lines, "|".join(d3)])
    report = bank.ingest()
    assert outcome(report, "core", D2).outcome == "LOADED"
    o = outcome(report, "core", D3)
    assert o.outcome == "REJECTED"
    assert [r[3] for r in bank.rejected_rows(o.batch_id)] == ["IDENTITY_CHANGED"]  # type: ignore[arg-type]
