"""Helpers for the bad-input corpus: every case starts from a warehouse holding D1 of every system and a landing
area holding D1 and D2, breaks something in D2, ingests, and checks the exact outcome."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ingest.report import DeliveryOutcome, IngestReport

from support.deliveries import Bank
from support.minibank import D1


@dataclass
class Before:
    """What the warehouse held before the case ran: it must come out unchanged."""

    bank: Bank
    raw: dict[str, list[tuple]]

    def assert_unchanged(self) -> None:
        after = {t: self.bank.query(f'SELECT * EXCLUDE (_loaded_at) FROM raw."{t}" WHERE _business_date = ? '
                                    f"ORDER BY ALL", [D1]) for t in self.raw}
        assert after == self.raw


@pytest.fixture
def before(bank: Bank) -> Before:
    return Before(bank, bank.snapshot())


def outcome(report: IngestReport, system: str, day: object) -> DeliveryOutcome:
    found = [o for o in report.outcomes if o.system == system and o.business_date == day]
    assert len(found) == 1, report.summary()
    return found[0]


def assert_only_failed(report: IngestReport, failed: set[tuple[str, object]]) -> None:
    """Every delivery of the run loaded, or was already loaded, except ``failed`` and the deliveries held waiting
    for one of them (marketing refers to core: a failed core date holds marketing's)."""
    waiting = tuple(f"waiting for {system} {day}:" for system, day in failed)
    for o in report.outcomes:
        if (o.system, o.business_date) in failed:
            assert o.outcome != "LOADED", o.line()
        elif o.outcome == "HELD" and (o.reason or "").startswith(waiting):
            continue
        else:
            assert o.outcome in ("LOADED", "ALREADY_LOADED"), o.line()
