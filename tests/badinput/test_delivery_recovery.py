"""A missing, late, mis-dated or wrong delivery: nothing is lost, and each has a way back.

- A missing business day holds the later days of its system (and the same day of the systems that refer to it)
  until it arrives; then they load in order (issue 13.3).
- A mis-dated delivery waits like any day after a hole instead of loading and locking its system out; when all
  systems are mis-dated, nothing loads (no phantom month) (issue 13.4).
- `crmwh withdraw` takes a wrong delivery out with what depends on it, audited; the same files are refused after
  that, a corrected delivery loads, and the dependent days load again (issue 13.4); with `requeue` a day loaded
  before a late earlier one loads again after it (the repair of issue 13.3 for a warehouse loaded before gaps were
  held).
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from badinput.conftest import Before, assert_only_failed, outcome

from ingest import loader
from ingest.withdraw import WithdrawError, WithdrawReport, withdraw

from support.deliveries import Bank
from support.minibank import D1, D2, D3

TXN = "core.transactions"
MISDATED = date(2025, 2, 28)  # the bank's batch ran with the wrong date: 20250228 instead of 20250131


def _audit_counts(bank: Bank) -> list[tuple]:
    return bank.query("SELECT (SELECT count(*) FROM audit.deliveries), (SELECT count(*) FROM audit.delivery_files), "
                      "(SELECT count(*) FROM audit.rejected_rows)")


def _misdate(bank: Bank, system: str, real: date, wrong: date) -> None:
    """Move ``system``'s delivery of ``real`` to ``wrong``: folder, file names and control files all say ``wrong``,
    as when the source system's batch ran with a wrong business date. The data files are unchanged."""
    src, dst = bank.delivery_dir(system, real), bank.delivery_dir(system, wrong)
    dst.mkdir(parents=True)
    real_s, wrong_s = f"{real:%Y%m%d}", f"{wrong:%Y%m%d}"
    for path in sorted(src.iterdir()):
        target = dst / path.name.replace(real_s, wrong_s)
        if path.suffix == ".flg":
            target.write_text(path.read_text(encoding="ascii").replace(real_s, wrong_s), encoding="ascii")
        else:
            shutil.copy2(path, target)
    shutil.rmtree(src)


def _withdraw(bank: Bank, system: str, day: date, requeue: bool = False) -> WithdrawReport:
    bank.query("SELECT 1")  # opens the test's connection
    return withdraw(bank._con, bank.contracts, system, day, "wrong delivery (test)", requeue=requeue)  # type: ignore[arg-type]


def _rows_of(bank: Bank, system: str, day: date) -> int:
    return sum(bank.count(c.raw_table, f"_business_date = '{day}'") for c in bank.contracts.for_system(system))


def test_a_missing_day_holds_the_later_days_until_it_arrives(bank: Bank, before: Before) -> None:
    shutil.rmtree(bank.delivery_dir("cards", D2))
    bank.add_day(D3)
    report = bank.ingest()
    held = outcome(report, "cards", D3)
    assert (held.outcome, held.reason) == (
        "HELD", "waiting for cards 2025-01-31: cards is loaded up to 2025-01-30 and deliveries of a system load "
                "without gaps (see `crmwh status`)")
    assert_only_failed(report, {("cards", D3)})
    assert _rows_of(bank, "cards", D3) == 0
    assert bank.deliveries("cards")[-1]["reason_code"] == "GAP"
    # nothing changes while the day is missing, and the hold is not recorded twice
    counts = _audit_counts(bank)
    assert outcome(bank.ingest(), "cards", D3).outcome == "HELD"
    assert _audit_counts(bank) == counts
    # the late day arrives: it loads, then the day held behind it, with no row lost as an orphan
    bank.add_day(D2, systems=("cards",))
    fixed = bank.ingest()
    late, then = outcome(fixed, "cards", D2), outcome(fixed, "cards", D3)
    assert (late.outcome, then.outcome) == ("LOADED", "LOADED")
    assert late.batch_id < then.batch_id  # type: ignore[operator]
    assert late.rows_rejected == then.rows_rejected == 0
    assert _rows_of(bank, "cards", D3) > 0
    before.assert_unchanged()


def test_a_missing_reference_day_holds_the_systems_that_refer_to_it(bank: Bank, before: Before) -> None:
    shutil.rmtree(bank.delivery_dir("ref", D2))
    report = bank.ingest()
    for system in ("core", "cards", "accounting"):
        o = outcome(report, system, D2)
        assert (o.outcome, o.reason) == (
            "HELD", f"waiting for ref 2025-01-31: {system} refers to ref, which is loaded up to 2025-01-30 "
                    "(see `crmwh status`)")
    bank.add_day(D2, systems=("ref",))
    fixed = bank.ingest()
    n = len(bank.contracts.systems)
    assert [o.outcome for o in fixed.outcomes] == ["ALREADY_LOADED"] * n + ["LOADED"] * n
    assert not fixed.rows_rejected
    before.assert_unchanged()


def test_a_mis_dated_delivery_waits_instead_of_locking_its_system_out(bank: Bank, before: Before) -> None:
    _misdate(bank, "core", D2, MISDATED)
    report = bank.ingest()
    wrong = outcome(report, "core", MISDATED)
    assert (wrong.outcome, wrong.reason) == (
        "HELD", "waiting for core 2025-01-31: core is loaded up to 2025-01-30 and deliveries of a system load "
                "without gaps (see `crmwh status`)")
    assert _rows_of(bank, "core", MISDATED) == 0
    # the bank sends the day again, rightly dated: it loads, and so do the days after it
    bank.add_day(D2, systems=("core",))
    bank.add_day(D3)
    fixed = bank.ingest()
    assert outcome(fixed, "core", D2).outcome == "LOADED" and outcome(fixed, "core", D3).outcome == "LOADED"
    assert outcome(fixed, "marketing", D2).outcome == "LOADED" and outcome(fixed, "marketing", D3).outcome == "LOADED"
    assert outcome(fixed, "core", MISDATED).reason.startswith("waiting for core 2025-02-02")  # type: ignore[union-attr]
    # the operator withdraws the mis-dated one: it is refused from now on, no longer waiting
    taken = _withdraw(bank, "core", MISDATED)
    assert [(w.system, w.business_date, w.batch_id, w.dependent) for w in taken.withdrawn] == \
        [("core", MISDATED, None, False)]
    refused = outcome(bank.ingest(), "core", MISDATED)
    assert refused.outcome == "REFUSED" and refused.reason.startswith("withdrawn by the operator")  # type: ignore[union-attr]
    assert _withdraw(bank, "core", MISDATED).already
    before.assert_unchanged()


def test_when_every_system_is_mis_dated_nothing_loads(bank: Bank, before: Before) -> None:
    """No phantom month: every system's 20250228 waits for its 20250131."""
    for system in bank.contracts.systems:
        _misdate(bank, system, D2, MISDATED)
    report = bank.ingest()
    assert {(o.system, o.outcome) for o in report.outcomes if o.business_date == MISDATED} == \
        {(s, "HELD") for s in bank.contracts.systems}
    assert report.rows_loaded == 0
    assert bank.scalar("SELECT count(*) FROM audit.deliveries WHERE status = 'LOADED' AND business_date > ?",
                       [D1]) == 0
    before.assert_unchanged()


def test_withdraw_takes_a_wrong_delivery_out_with_the_days_loaded_on_top(bank: Bank, before: Before) -> None:
    bank.add_day(D3)
    first = bank.ingest()
    cards = bank.raw("cards__card_transactions")
    rows = {d: _rows_of(bank, "core", d) for d in (D2, D3)}
    taken = _withdraw(bank, "core", D2)
    assert [(w.system, w.business_date, w.batch_id, w.dependent, w.rows_removed) for w in taken.withdrawn
            if w.system == "core"] == [
        ("core", D2, outcome(first, "core", D2).batch_id, False, rows[D2]),
        ("core", D3, outcome(first, "core", D3).batch_id, True, rows[D3]),
    ]
    # marketing refers to core (its lists name core customers): its days from D2 on go out with core's
    assert [(w.system, w.business_date, w.dependent) for w in taken.withdrawn if w.system != "core"] == [
        ("marketing", D2, True), ("marketing", D3, True)]
    assert _rows_of(bank, "core", D2) == _rows_of(bank, "core", D3) == 0
    assert bank.raw("cards__card_transactions") == cards  # cards do not refer to core
    audit_rows = bank.query("SELECT system, business_date, dependent, withdrawn_batch_id, rows_removed, reason "
                            "FROM audit.withdrawals WHERE system = 'core' ORDER BY marker_batch_id")
    assert audit_rows == [("core", D2, False, outcome(first, "core", D2).batch_id, rows[D2], "wrong delivery (test)"),
                          ("core", D3, True, outcome(first, "core", D3).batch_id, rows[D3], "wrong delivery (test)")]
    assert bank.query("SELECT status FROM audit.deliveries WHERE batch_id = ?",
                      [outcome(first, "core", D2).batch_id]) == [("WITHDRAWN",)]
    # the same files are refused; the day on top waits for the hole
    report = bank.ingest()
    refused, held = outcome(report, "core", D2), outcome(report, "core", D3)
    assert refused.outcome == "REFUSED" and "withdrawn by the operator" in refused.reason  # type: ignore[operator]
    assert held.outcome == "HELD" and held.reason.startswith("waiting for core 2025-01-31")  # type: ignore[union-attr]
    counts = _audit_counts(bank)
    bank.ingest()
    assert _audit_counts(bank) == counts
    # the corrected delivery loads, and the day withdrawn with it loads again
    bank.edit_field(TXN, D2, 1, "amount", "1.00")
    fixed = bank.ingest()
    assert outcome(fixed, "core", D2).outcome == "LOADED" and outcome(fixed, "core", D3).outcome == "LOADED"
    assert outcome(fixed, "marketing", D2).outcome == "LOADED" and outcome(fixed, "marketing", D3).outcome == "LOADED"
    assert _rows_of(bank, "core", D3) == rows[D3]
    with pytest.raises(WithdrawError, match="no delivery of core for 2025-03-01"):
        _withdraw(bank, "core", date(2025, 3, 1))
    before.assert_unchanged()


def test_withdrawing_reference_data_takes_the_systems_that_refer_to_it(bank: Bank, before: Before) -> None:
    bank.add_day(D3)
    bank.ingest()
    snapshot = bank.snapshot()
    taken = _withdraw(bank, "ref", D3, requeue=True)  # right data, to load again: requeue
    assert sorted((w.system, w.dependent) for w in taken.withdrawn) == \
        [("accounting", True), ("cards", True), ("core", True), ("marketing", True), ("ref", False)]
    assert all(_rows_of(bank, s, D3) == 0 for s in bank.contracts.systems)
    again = bank.ingest()
    assert {o.outcome for o in again.outcomes if o.business_date == D3} == {"LOADED"}
    assert {t: [r[:-4] for r in rows] for t, rows in bank.snapshot().items()} == \
        {t: [r[:-4] for r in rows] for t, rows in snapshot.items()}  # the same rows, under new batch ids
    before.assert_unchanged()


def test_a_day_loaded_before_a_late_earlier_one_is_requeued_behind_it(bank: Bank, before: Before,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A warehouse loaded before gaps were held: cards D3 loaded over the missing D2, which is then refused out of
    order. Withdrawing D3 with requeue lets D2 and then D3 load."""
    shutil.rmtree(bank.delivery_dir("cards", D2))
    bank.add_day(D3)
    with monkeypatch.context() as m:
        m.setattr(loader._Loader, "gap", lambda *_args: None)  # the loader before gaps were held
        assert outcome(bank.ingest(), "cards", D3).outcome == "LOADED"
    bank.add_day(D2, systems=("cards",))
    assert outcome(bank.ingest(), "cards", D2).outcome == "REFUSED"
    _withdraw(bank, "cards", D3, requeue=True)
    repaired = bank.ingest()
    late, then = outcome(repaired, "cards", D2), outcome(repaired, "cards", D3)
    assert (late.outcome, then.outcome) == ("LOADED", "LOADED") and late.batch_id < then.batch_id  # type: ignore[operator]
    assert then.rows_rejected == 0
    before.assert_unchanged()
