"""Deliveries in the wrong place of the sequence: repeated, changed after loading, late, or after a failed one.
Nothing already loaded is lost or changed unless --reload asks for exactly that batch to be replaced."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from decimal import Decimal

import pytest
from badinput.conftest import Before, assert_only_failed, outcome

from ingest import rowsql

from support.deliveries import Bank
from support.minibank import D1, D2, D3

TXN = "core.transactions"
WHERE_D2 = f"_business_date = '{D2}'"


def _audit_counts(bank: Bank) -> list[tuple]:
    return bank.query("SELECT (SELECT count(*) FROM audit.deliveries), (SELECT count(*) FROM audit.delivery_files), "
                      "(SELECT count(*) FROM audit.rejected_rows)")


def test_duplicate_delivery_is_a_no_op(bank: Bank, before: Before) -> None:
    first = bank.ingest()
    n = len(bank.contracts.systems)
    assert len(first.loaded) == n
    snapshot, counts = bank.snapshot(), _audit_counts(bank)
    again = bank.ingest()
    assert [o.outcome for o in again.outcomes] == ["ALREADY_LOADED"] * (2 * n)
    assert outcome(again, "core", D2).reason == f"already loaded as batch {outcome(first, 'core', D2).batch_id}"
    assert not again.rejected and again.rows_loaded == 0
    assert bank.snapshot() == snapshot
    assert _audit_counts(bank) == counts


def test_changed_redelivery_is_refused(bank: Bank, before: Before) -> None:
    loaded = outcome(bank.ingest(), "core", D2)
    snapshot = bank.snapshot()
    bank.edit_field(TXN, D2, 1, "amount", "1.00")  # the bank sends a corrected file, with a new control file
    report = bank.ingest()
    o = outcome(report, "core", D2)
    reason = (f"already loaded as batch {loaded.batch_id}, and the files differ now (TXN_DTL_20250131.dat changed; "
              "TXN_DTL_20250131.flg changed); use --reload to replace that batch")
    assert (o.outcome, o.reason) == ("REFUSED", reason)
    assert_only_failed(report, {("core", D2)})
    assert bank.snapshot() == snapshot
    d = bank.deliveries("core")[-1]
    assert (d["status"], d["reason_code"], d["reason"]) == ("REJECTED", "CHANGED_REDELIVERY", reason)
    assert bank.query("SELECT status FROM audit.deliveries WHERE batch_id = ?", [loaded.batch_id]) == [("LOADED",)]
    # asking again changes nothing, and is not recorded twice
    counts = _audit_counts(bank)
    assert outcome(bank.ingest(), "core", D2).outcome == "REFUSED"
    assert _audit_counts(bank) == counts


def test_reload_replaces_exactly_that_batch(bank: Bank, before: Before) -> None:
    bank.add_day(D3)
    first = bank.ingest()
    old = outcome(first, "core", D2).batch_id
    others = bank.query("SELECT _batch_id, count(*) FROM raw.core__transactions GROUP BY ALL ORDER BY 1")
    snapshot = bank.snapshot()
    _, new_line = bank.edit_field(TXN, D2, 1, "amount", "1.00")
    lines = bank.lines(TXN, D2)
    bank.write_lines(TXN, D2, lines[:-1])  # and one transaction fewer
    report = bank.ingest(reload=True)
    o = outcome(report, "core", D2)
    assert o.outcome == "LOADED" and o.replaced_batch_id == old
    assert [x.outcome for x in report.outcomes if (x.system, x.business_date) != ("core", D2)] == \
        ["ALREADY_LOADED"] * (3 * len(bank.contracts.systems) - 1)
    after = bank.query("SELECT _batch_id, count(*) FROM raw.core__transactions GROUP BY ALL ORDER BY 1")
    assert after == [(b, n) for b, n in others if b != old] + [(o.batch_id, 299)]
    assert bank.scalar(f"SELECT amount FROM raw.core__transactions WHERE {WHERE_D2} AND _line_number = 1") == 1
    # every other batch is untouched, row for row
    for table, rows in snapshot.items():
        now = bank.raw(table)
        batch_col = len(rows[0]) - 4 if rows else 0
        assert [r for r in now if r[batch_col] != o.batch_id] == [r for r in rows if r[batch_col] != old]
    statuses = dict(bank.query("SELECT batch_id, status FROM audit.deliveries WHERE system = 'core'"))
    assert statuses[old] == "SUPERSEDED" and statuses[o.batch_id] == "LOADED"
    sup = bank.query("SELECT superseded_by_batch_id FROM audit.deliveries WHERE batch_id = ?", [old])
    assert sup == [(o.batch_id,)]
    assert bank.query("SELECT DISTINCT status FROM audit.delivery_files WHERE batch_id = ?", [old]) == \
        [("SUPERSEDED",)]
    assert bank.query("SELECT replaced_batch_id, reload FROM audit.deliveries WHERE batch_id = ?", [o.batch_id]) \
        == [(old, True)]
    # reload of identical files is a no-op
    counts = _audit_counts(bank)
    assert outcome(bank.ingest(reload=True), "core", D2).outcome == "ALREADY_LOADED"
    assert _audit_counts(bank) == counts
    assert new_line


def _same_size_and_times(bank: Bank, day: object, change: Callable[[], object]) -> None:
    """Apply ``change`` to the delivery, then give every file its old size check and modification time back (as an
    archive unpacked with fixed timestamps does)."""
    folder = bank.delivery_dir("core", day)  # type: ignore[arg-type]
    before = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}
    change()
    for p in folder.iterdir():
        size, mtime = before[p.name]
        assert p.stat().st_size == size, p.name
        os.utime(p, ns=(mtime, mtime))


def test_changed_redelivery_with_same_sizes_and_times_is_seen(bank: Bank, before: Before) -> None:
    # issue 13.8: change detection by content, not by size and modification time
    loaded = outcome(bank.ingest(), "core", D2)
    snapshot = bank.snapshot()
    _same_size_and_times(bank, D2, lambda: bank.edit_field(TXN, D2, 1, "amount", "8.50"))  # was 9.50
    o = outcome(bank.ingest(), "core", D2)
    assert (o.outcome, o.reason) == (
        "REFUSED", f"already loaded as batch {loaded.batch_id}, and the files differ now (TXN_DTL_20250131.dat "
                   "changed; TXN_DTL_20250131.flg changed); use --reload to replace that batch")
    assert bank.snapshot() == snapshot
    o = outcome(bank.ingest(reload=True), "core", D2)
    assert (o.outcome, o.replaced_batch_id) == ("LOADED", loaded.batch_id)
    assert bank.scalar(f"SELECT amount FROM raw.core__transactions WHERE {WHERE_D2} AND _line_number = 1") == \
        Decimal("8.50")


def test_fixed_redelivery_of_a_rejected_day_with_same_sizes_and_times_is_tried_again(bank: Bank,
                                                                                      before: Before) -> None:
    # the data file was damaged in transit (same size, MD5 wrong); the sender puts the right one back, same time
    path = bank.data_path(TXN, D2)
    good = path.read_bytes()
    damaged = good.replace(b"|9.50|", b"|8.50|", 1)
    _same_size_and_times(bank, D2, lambda: path.write_bytes(damaged))
    assert outcome(bank.ingest(), "core", D2).outcome == "REJECTED"
    _same_size_and_times(bank, D2, lambda: path.write_bytes(good))
    assert outcome(bank.ingest(), "core", D2).outcome == "LOADED"


def test_reload_compares_the_data_itself(bank: Bank, before: Before) -> None:
    # a data file changed under an unchanged control file: a run without --reload trusts the control file's MD5
    # (the loaded batch is the file it vouches for); --reload reads the data and finds it no longer matches
    loaded = outcome(bank.ingest(), "core", D2)
    path = bank.data_path(TXN, D2)
    _same_size_and_times(bank, D2, lambda: path.write_bytes(path.read_bytes().replace(b"|9.50|", b"|8.50|", 1)))
    assert outcome(bank.ingest(), "core", D2).outcome == "ALREADY_LOADED"
    o = outcome(bank.ingest(reload=True), "core", D2)
    assert o.outcome == "REJECTED" and "differs from the control file's" in (o.reason or "")
    assert bank.query("SELECT status FROM audit.deliveries WHERE batch_id = ?", [loaded.batch_id]) == [("LOADED",)]


def test_failed_reload_keeps_the_loaded_batch(bank: Bank, before: Before) -> None:
    loaded = outcome(bank.ingest(), "core", D2)
    snapshot = bank.snapshot()
    data = bank.data_path(TXN, D2).read_bytes()
    bank.write_bytes(TXN, D2, data[:-10], fix_control=False)
    o = outcome(bank.ingest(reload=True), "core", D2)
    assert o.outcome == "REJECTED" and o.reason.endswith("(truncated or altered in transit)")  # type: ignore[union-attr]
    assert bank.snapshot() == snapshot
    assert bank.query("SELECT status FROM audit.deliveries WHERE batch_id = ?", [loaded.batch_id]) == [("LOADED",)]


def test_out_of_order_date_is_refused(bank: Bank, before: Before, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.rmtree(bank.delivery_dir("cards", D2))
    bank.add_day(D3)
    with monkeypatch.context() as m:
        # a warehouse loaded before gaps were held (now D3 waits for D2: badinput/test_delivery_recovery.py)
        m.setattr("ingest.loader._Loader.gap", lambda *_args: None)
        report = bank.ingest()
    assert outcome(report, "cards", D3).outcome == "LOADED"
    snapshot = bank.snapshot()
    bank.add_day(D2, systems=("cards",))  # the late delivery arrives
    report = bank.ingest()
    o = outcome(report, "cards", D2)
    assert (o.outcome, o.reason) == (
        "REFUSED",
        "out of order: cards is already loaded up to 2025-02-01, this delivery is for 2025-01-31 "
        "(an older date can only replace a loaded one, with --reload)")
    assert bank.snapshot() == snapshot
    assert outcome(bank.ingest(reload=True), "cards", D2).outcome == "REFUSED"  # not a replacement either
    assert bank.deliveries("cards")[-1]["reason_code"] == "OUT_OF_ORDER"
    # a refusal for its place in the sequence does not hold later deliveries
    assert bank.query("SELECT count(*) FROM audit.deliveries WHERE system = 'cards' AND status = 'LOADED'") == [(2,)]


def test_later_deliveries_are_held_after_a_rejection(bank: Bank, before: Before) -> None:
    bank.add_day(D3)
    good = bank.data_path(TXN, D2).read_bytes()
    bank.write_bytes(TXN, D2, good[:-1], fix_control=False)
    report = bank.ingest()
    rejected = outcome(report, "core", D2)
    held = outcome(report, "core", D3)
    assert rejected.outcome == "REJECTED"
    assert (held.outcome, held.reason) == (
        "HELD",
        f"earlier delivery core 2025-01-31 not loaded (batch {rejected.batch_id} rejected); "
        "deliveries of core load in date order")
    assert outcome(report, "cards", D3).outcome == "LOADED"  # other systems go on
    assert bank.count("core__transactions", f"_business_date = '{D3}'") == 0
    # marketing refers to core: its D2 and D3 wait for core's D2 too
    assert outcome(report, "marketing", D2).reason.startswith("waiting for core 2025-01-31")  # type: ignore[union-attr]
    assert len(report.rejected) == 4
    assert "1 rejected, 0 refused, 3 held" in report.summary()
    # running again without a fix: still rejected, still held, nothing new recorded
    counts = _audit_counts(bank)
    again = bank.ingest()
    assert outcome(again, "core", D2).reason == (
        f"unchanged since batch {rejected.batch_id} rejected it: {rejected.reason}")
    assert outcome(again, "core", D3).outcome == "HELD"
    assert _audit_counts(bank) == counts
    # the bank re-sends D2 correctly: D2 and then D3 load
    bank.write_bytes(TXN, D2, good, fix_control=False)
    fixed = bank.ingest()
    assert outcome(fixed, "core", D2).outcome == "LOADED"
    assert outcome(fixed, "core", D3).outcome == "LOADED"
    assert bank.count("core__transactions", f"_business_date = '{D3}'") == 300
    before.assert_unchanged()


def test_load_failure_rolls_back_everything(bank: Bank, before: Before, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(real):  # type: ignore[no-untyped-def]
        def insert(contract, *args, **kwargs):  # type: ignore[no-untyped-def]
            sql = real(contract, *args, **kwargs)
            return sql.replace("FROM (", "FROM no_such_table, (") if contract.extract == "loans" else sql
        return insert

    # the loans statement fails however the delivery is loaded: with the batch (which then loads its deliveries one
    # at a time to find the one that fails) or one at a time
    monkeypatch.setattr("ingest.attempt.insert_raw_sql", failing(rowsql.insert_raw_sql))
    monkeypatch.setattr("ingest.batch.insert_raw_many_sql", failing(rowsql.insert_raw_many_sql))
    report = bank.ingest()
    o = outcome(report, "core", D2)
    assert o.outcome == "REJECTED"
    assert o.reason.startswith("load failed and was rolled back: CatalogException: ")  # type: ignore[union-attr]
    # customers, accounts, balances and transactions were appended before loans failed: all rolled back
    for table in ("core__customers", "core__accounts", "core__balances", "core__transactions", "core__loans"):
        assert bank.count(table, WHERE_D2) == 0
    d = bank.deliveries("core")[-1]
    assert (d["status"], d["reason_code"]) == ("REJECTED", "ERROR")
    before.assert_unchanged()
    # an error is not a verdict on the files: the next run tries again
    monkeypatch.undo()
    assert outcome(bank.ingest(), "core", D2).outcome == "LOADED"


def test_delivery_folder_of_an_unknown_date_format_is_ignored(bank: Bank, before: Before) -> None:
    (bank.landing / "core" / "2025-01-31").mkdir()
    report = bank.ingest()
    assert any("2025-01-31: not a delivery folder" in w for w in report.warnings)
    assert_only_failed(report, set())
    assert D1 < D2


@pytest.mark.parametrize("method", ["batch", "one_at_a_time"])
def test_recorded_fingerprint_is_the_content_of_the_folder(bank: Bank, before: Before, method: str) -> None:
    """A first attempt is fingerprinted from the sizes and MD5s its checks read: the same fingerprint as reading the
    folder again, for a delivery that loads and for one rejected (whose unchanged files are then not tried again)."""
    from ingest.landing import fingerprint

    data = bank.data_path(TXN, D2).read_bytes()
    bank.write_bytes(TXN, D2, data[:-1], fix_control=False)  # core D2 rejected; the other systems load
    bank.ingest(method=method)
    for system in ("ref", "core", "cards", "accounting"):
        d = bank.deliveries(system)[-1]
        assert d["business_date"] == D2
        assert d["fingerprint"] == fingerprint(bank.delivery_dir(system, D2)), system
