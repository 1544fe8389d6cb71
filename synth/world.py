"""The whole synthetic bank as numpy tables, before it is shaped into extracts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date

import numpy as np

from synth import GenerateError
from synth.accounts import Accounts, build_accounts, term_lifecycle
from synth.calendar import Calendar
from synth.cards import CardSystem, build_cards
from synth.customers import (
    RATING_D,
    Customers,
    Managers,
    RmAssignment,
    SharedCredit,
    build_customers,
    build_managers,
    choose_churners,
    choose_shared_credit,
)
from synth.flows import Counterparties, Flows, build_flows, counterparty_pool
from synth.ids import STR, mobile_numbers
from synth.loans import LoanBook, build_loans
from synth.marketing import Marketing, run_campaigns
from synth.reference import (
    K_LOAN,
    K_TIME,
    Branches,
    CostCentres,
    Rates,
    build_branches,
    build_cost_centres,
    build_rates,
)

# Independent random streams per stage: changing one stage leaves the others' draws alone.
STREAMS = {"branches": 1, "rates": 2, "customers": 3, "managers": 4, "accounts": 5, "loans": 6, "churn": 7,
           "lifecycle": 8, "parties": 9, "flows": 10, "cards": 11, "events": 12, "ledger": 13, "shares": 14,
           "marketing": 15, "account_parties": 16, "latin": 17,
           "overdrafts": 18}


@dataclass
class CustomerChanges:
    """Changes to customer records after the first delivery; fields holding -1 or '' are unchanged."""

    cust: np.ndarray
    day: np.ndarray
    rm: np.ndarray  # index into Managers, -1 unchanged
    rating: np.ndarray  # index into RATINGS, -1 unchanged
    status: np.ndarray  # '' unchanged
    close_day: np.ndarray  # -1 unchanged
    mobile: np.ndarray  # '' unchanged


@dataclass
class World:
    scale: float
    seed: int
    cal: Calendar
    branches: Branches
    cost_centres: CostCentres
    rates: Rates
    customers: Customers
    managers: Managers
    rm_assignment: RmAssignment
    rm_shares: SharedCredit
    accounts: Accounts
    loans: LoanBook
    churn_day: np.ndarray
    churn_closed: np.ndarray
    churn_cause: np.ndarray  # index into CHURN_CAUSES, -1 for stayers: ground truth, never in an extract
    initial_rating: np.ndarray
    customer_changes: CustomerChanges
    parties: Counterparties
    flows: Flows
    cards: CardSystem
    marketing: Marketing

    def rng(self, stage: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, STREAMS[stage]])

    def drop_activity(self) -> None:
        """Forget the transaction-level arrays once DuckDB holds them: they are the bulk of the memory."""
        self.flows = Flows(**{f.name: getattr(self.flows, f.name)[:0] for f in fields(Flows)})
        for f in fields(CardSystem):
            if f.name.startswith(("t_", "s_")):
                setattr(self.cards, f.name, getattr(self.cards, f.name)[:0])


def _rng(seed: int, stage: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAMS[stage]])


def check_size(scale: float, days: int) -> None:
    """Refuse a bank of no size or no days with a clear error."""
    if scale <= 0:
        raise GenerateError(f"scale must be positive, got {scale}")
    if days < 1:
        raise GenerateError(f"days must be at least 1, got {days}")


def build_world(scale: float, start: date, days: int, seed: int,
                step: Callable[[str], None] = lambda _name: None) -> World:
    check_size(scale, days)
    cal = Calendar(start, days)
    step("reference data")
    branches = build_branches(_rng(seed, "branches"), scale, cal)
    rates = build_rates(_rng(seed, "rates"), cal)
    step("customers")
    customers = build_customers(_rng(seed, "customers"), scale, cal, branches)
    managers, assignment = build_managers(_rng(seed, "managers"), cal, branches, customers)
    step("accounts and loans")
    accounts = build_accounts(_rng(seed, "accounts"), cal, customers, branches, rates)
    loans = build_loans(_rng(seed, "loans"), cal, customers, accounts, rates)
    has_loan = np.zeros(len(customers), dtype=bool)
    has_loan[accounts.cust[accounts.kind == K_LOAN]] = True
    term = np.flatnonzero(accounts.kind == K_TIME)
    churn_day, churn_closed, churn_cause = choose_churners(
        _rng(seed, "churn"), cal, customers, ~has_loan, accounts.cust[term], accounts.maturity_day[term],
        assignment.change_cust, assignment.change_day)
    step("campaigns")
    marketing = run_campaigns(_rng(seed, "marketing"), cal, customers, accounts, branches, rates, churn_day)
    term_lifecycle(_rng(seed, "lifecycle"), cal, accounts, rates, churn_day, churn_closed)
    shares = choose_shared_credit(_rng(seed, "shares"), cal, branches, customers, managers, assignment,
                                  churn_day >= cal.days)
    step("transactions")
    parties = counterparty_pool(_rng(seed, "parties"), customers)
    flows = build_flows(_rng(seed, "flows"), cal, customers, accounts, churn_day, churn_cause, parties)
    step("cards")
    cards = build_cards(_rng(seed, "cards"), cal, customers, accounts, branches, flows, parties, churn_day,
                        churn_closed)
    initial_rating, changes = _customer_changes(_rng(seed, "events"), cal, customers, accounts, loans, assignment,
                                                churn_day, churn_closed)
    _account_status_changes(cal, customers, accounts, churn_day, churn_closed)
    return World(
        scale=scale, seed=seed, cal=cal, branches=branches, cost_centres=build_cost_centres(branches), rates=rates,
        customers=customers, managers=managers, rm_assignment=assignment, rm_shares=shares, accounts=accounts,
        loans=loans,
        churn_day=churn_day, churn_closed=churn_closed, churn_cause=churn_cause, initial_rating=initial_rating,
        customer_changes=changes,
        parties=parties, flows=flows, cards=cards, marketing=marketing,
    )


def _customer_changes(rng: np.random.Generator, cal: Calendar, customers: Customers, accounts: Accounts,
                      loans: LoanBook, assignment: RmAssignment, churn_day: np.ndarray,
                      churn_closed: np.ndarray) -> tuple[np.ndarray, CustomerChanges]:
    n = len(customers)
    rating = customers.rating.copy()
    cust_l, day_l, rm_l, rating_l, status_l, close_l, mobile_l = [], [], [], [], [], [], []

    def add(cust: np.ndarray, day: np.ndarray, rm: np.ndarray | None = None, rate: np.ndarray | None = None,
            status: str = "", close: np.ndarray | None = None, mobile: np.ndarray | None = None) -> None:
        k = len(cust)
        cust_l.append(cust.astype(np.int64))
        day_l.append(day.astype(np.int64))
        rm_l.append(np.full(k, -1) if rm is None else rm.astype(np.int64))
        rating_l.append(np.full(k, -1) if rate is None else rate.astype(np.int64))
        status_l.append(np.full(k, status, dtype=STR))
        close_l.append(np.full(k, -1) if close is None else close.astype(np.int64))
        mobile_l.append(np.full(k, "", dtype=STR) if mobile is None else mobile.astype(STR))

    add(assignment.change_cust, assignment.change_day, rm=assignment.change_rm)
    # Annual credit review of companies: most keep their rating, some move one notch.
    corp = np.flatnonzero(customers.corporate)
    review = rng.integers(0, 365, len(corp))
    ok = (review >= 1) & (review < cal.days) & (review > customers.open_day[corp])
    move = rng.choice([-1, 0, 1], size=len(corp), p=[0.08, 0.82, 0.10])
    ok &= move != 0
    add(corp[ok], review[ok], rate=np.clip(rating[corp[ok]] + move[ok], 0, 8))
    # Default (a loan 90+ days past due) turns the internal rating to D.
    defaulted = loans.default_day < cal.days
    borrower = accounts.cust[loans.acct[defaulted]]
    when = loans.default_day[defaulted]
    rating[borrower[when <= 0]] = RATING_D
    later = when > 0
    add(borrower[later], when[later], rate=np.full(int(later.sum()), RATING_D))
    # Leavers: closed (销户) or dormant (睡眠).
    leaving = np.flatnonzero(churn_day < cal.days)
    closed = churn_closed[leaving]
    add(leaving[closed], churn_day[leaving[closed]], status="9", close=churn_day[leaving[closed]])
    add(leaving[~closed], churn_day[leaving[~closed]], status="1")
    # Some people change their phone number.
    moved = np.flatnonzero(rng.random(n) < 0.02 * cal.days / 365)
    day = rng.integers(1, max(cal.days, 2), len(moved))
    ok = (day > customers.open_day[moved]) & (day < np.minimum(churn_day[moved], cal.days))
    add(moved[ok], day[ok], mobile=mobile_numbers(rng, int(ok.sum())))
    changes = CustomerChanges(
        cust=np.concatenate(cust_l), day=np.concatenate(day_l), rm=np.concatenate(rm_l),
        rating=np.concatenate(rating_l), status=np.concatenate(status_l), close_day=np.concatenate(close_l),
        mobile=np.concatenate(mobile_l),
    )
    keep = (changes.day >= 1) & (changes.day < cal.days) & (changes.day > customers.open_day[changes.cust])
    changes = CustomerChanges(**{f: getattr(changes, f)[keep] for f in CustomerChanges.__dataclass_fields__})
    return rating, changes


def _account_status_changes(cal: Calendar, customers: Customers, accounts: Accounts, churn_day: np.ndarray,
                            churn_closed: np.ndarray) -> None:
    closing = np.flatnonzero((accounts.close_day < cal.days) & (accounts.close_day >= 1))
    accounts.changes.add(closing, accounts.close_day[closing], status="9")
    c_day = churn_day[accounts.cust]
    asleep = (c_day < cal.days) & ~churn_closed[accounts.cust] & (accounts.close_day > c_day)
    asleep &= c_day > accounts.open_day
    rows = np.flatnonzero(asleep)
    accounts.changes.add(rows, c_day[rows], status="1")


__all__ = ["World", "build_world"]
