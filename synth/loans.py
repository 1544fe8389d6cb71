"""Loans (贷款): contracts, repayment schedules, monthly migration between classes (五级分类), defaults, resolution.

Each due date a borrower pays, misses, or (in arrears) cures or pays one instalment; days past due run from the
oldest unpaid instalment. Classification follows days past due: 正常 0, 关注 1–90, 次级 91–180, 可疑 181–360,
损失 > 360, and a loan that has defaulted stays at least 关注. Interest stops accruing after 90 days past due (非应计).
Loans seven or more instalments behind are resolved now and then: collateral sold or the guarantor pays (repaid in
full), or, once a loss (13 or more behind), written off (核销) more often the weaker the security. Secured loans carry
the appraised value of their collateral, spread so that mortgages fall in every loan-to-value band of the capital rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from synth.accounts import Accounts
from synth.calendar import Calendar, add_months
from synth.customers import RATING_PD, Customers
from synth.frame import NO_DAY
from synth.ids import STR, cat, digits, text
from synth.reference import K_LOAN, PRODUCT_INDEX, Rates

METHOD_ANNUITY, METHOD_LINEAR, METHOD_INTEREST_ONLY, METHOD_BULLET = range(4)
METHOD_CODES = text(["01", "02", "03", "04"])
COLLATERAL_CODES = text(["M", "P", "G", "C"])
COLLATERAL_MORTGAGE, COLLATERAL_PLEDGE = 0, 1
LGD_BY_COLLATERAL = np.array([0.25, 0.35, 0.45, 0.60])
CURE = np.array([0.0, 0.60, 0.35, 0.20, 0.05])  # by months in arrears (index capped at 4)
PAY_ONE = np.array([0.0, 0.15, 0.15, 0.10, 0.05])
# Corporate credit by internal rating (AAA … CCC): weaker companies get smaller loans at a higher spread.
CORP_SIZE_BY_RATING = np.array([1.2, 1.1, 1.0, 0.85, 0.65, 0.45, 0.3])
CORP_SPREAD_BY_RATING = np.array([0, 0, 0, 1500, 3000, 4500, 6000])  # millionths on top of the base spread
LARGEST_LOAN_MIN_CNY, LARGEST_LOAN_PER_CUSTOMER_CNY = 5_000_000, 2_000
# Months in arrears of the loans behind when the horizon starts: mostly recent, but a non-performing stock (不良) is
# worked out over a year or two, so some have been overdue for long.
ARREARS_AT_START_PD_MULTIPLE = 5  # a loan is behind at the start with probability (this × its PD), capped at 60 %
ARREARS_AT_START = np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16])
ARREARS_AT_START_P = np.array([0.34, 0.15, 0.09, 0.08, 0.07, 0.06, 0.06, 0.05, 0.04, 0.03, 0.03])
# Work-out of non-performing loans (collateral sold, guarantor pays, sold on): slow while doubtful, quick once a loss.
RESOLVE_DOUBTFUL, RESOLVE_LOSS = 0.04, 0.30
# A loss (13+ instalments behind) that is resolved is written off rather than recovered with this probability, by
# collateral (mortgage, pledge, guarantee, unsecured): unsecured consumer debt is mostly written off.
WRITE_OFF_BY_COLLATERAL = np.array([0.25, 0.35, 0.70, 0.90])
EV_DISBURSAL, EV_REPAYMENT, EV_WRITE_OFF = range(3)
# The scripted cure is this many instalments behind at the start, misses this many more due dates, then pays all its
# arrears; the scripted write-off is this many behind at the start.
STORY_CURE_ARREARS, STORY_CURE_MISSES = 3, 2
STORY_WRITE_OFF_ARREARS = 9  # instalments behind at the start of the scripted write-off
# Collateral value at origination = principal / loan-to-value; down payments of 15–40 % on homes, a little less
# cover on business collateral. Values are reappraised since: homes bought before the horizon have moved with the
# market (about −30 % to +10 %), so a few recent loans are under water (LTV > 100 %).
ORIGINATION_LTV_MEAN, ORIGINATION_LTV_SD, ORIGINATION_LTV_RANGE = 0.62, 0.14, (0.25, 0.85)
REAPPRAISAL_RANGE = (0.68, 1.10)


@dataclass
class LoanBook:
    acct: np.ndarray  # index into Accounts
    contract_no: np.ndarray
    principal: np.ndarray  # cents
    credit_limit: np.ndarray  # cents
    term_months: np.ndarray
    method: np.ndarray
    collateral: np.ndarray
    pd: np.ndarray  # annual PD when performing (float)
    lgd: np.ndarray
    maturity_day: np.ndarray
    # the story
    ev_loan: np.ndarray  # events: index into the book
    ev_day: np.ndarray
    ev_kind: np.ndarray  # EV_DISBURSAL (LDS), EV_REPAYMENT (LRP), EV_WRITE_OFF (WOF)
    ev_amount: np.ndarray  # cents
    ev_balance: np.ndarray  # cents after the event
    seg_loan: np.ndarray  # state segments [from, to): outstanding, arrears, oldest unpaid due day, defaulted before
    seg_from: np.ndarray
    seg_to: np.ndarray
    seg_outstanding: np.ndarray
    seg_arrears: np.ndarray
    seg_due_day: np.ndarray
    seg_defaulted_before: np.ndarray
    default_day: np.ndarray  # first day classified 次级 or worse (NO_DAY none); negative = before the horizon
    initial_outstanding: np.ndarray  # cents at the start (0 for loans disbursed later)
    collateral_value: np.ndarray  # cents, -1 where none is delivered (guaranteed, unsecured)

    def __len__(self) -> int:
        return len(self.acct)


def _story_loans(rng: np.random.Generator, cal: Calendar, book: LoanBook, open_day: np.ndarray, k0: np.ndarray,
                 n_inst: np.ndarray, period: np.ndarray, m0: np.ndarray, due_day: Callable[[np.ndarray], np.ndarray]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Two loans with a scripted path, so that even a small bank shows both ends of a default in its first months:
    one three instalments behind at the start passes 90 days past due (non-performing) within its first four weeks,
    misses two more due dates and then pays all its arrears (a cure, back to 关注); one unsecured loan nine
    instalments behind misses every due date until it is a loss and is written off (核销) at the fourth due date.
    Picked at random among the loans whose schedule fits; none when nothing fits (a short horizon). The first also
    gives every horizon of four weeks or more a default, and so a change of its borrower's rating to D."""
    n = len(book)
    monthly = period == 1
    # the day the oldest unpaid instalment is 91 days overdue: inside the horizon, after its first two days
    crossing = due_day(np.maximum(k0 - STORY_CURE_ARREARS + 1, 1)) + 91
    cure_ok = (monthly & (open_day < 0) & (m0 == 0) & (k0 > STORY_CURE_ARREARS)
               & (k0 + STORY_CURE_MISSES + 2 <= n_inst) & (crossing >= 2) & (crossing <= min(cal.days - 2, 28)))
    wo_due = k0 + 1 + (13 - STORY_WRITE_OFF_ARREARS - 1)  # the due date at which the arrears reach 13
    wo_ok = (monthly & (open_day < 0) & (k0 >= STORY_WRITE_OFF_ARREARS) & (wo_due + 1 <= n_inst)
             & (due_day(np.minimum(wo_due, n_inst)) < cal.days) & (book.collateral >= 2))
    story_cure = np.zeros(n, dtype=bool)
    story_write_off = np.zeros(n, dtype=bool)
    if cure_ok.any():
        story_cure[rng.choice(np.flatnonzero(cure_ok))] = True
    wo_ok &= ~story_cure
    if wo_ok.any():
        story_write_off[rng.choice(np.flatnonzero(wo_ok))] = True
    return story_cure, story_write_off


def _outstanding(method: np.ndarray, principal: np.ndarray, monthly_rate: np.ndarray, n: np.ndarray,
                 paid: np.ndarray) -> np.ndarray:
    """Principal outstanding after ``paid`` instalments, in cents (rounded per instalment, so it is exact)."""
    p = principal.astype(np.float64)
    i = monthly_rate
    k = np.minimum(paid, n).astype(np.float64)
    nn = n.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        growth_n = (1 + i) ** nn
        annuity = p * (growth_n - (1 + i) ** k) / (growth_n - 1)
    annuity = np.where(i > 0, annuity, p * (1 - k / nn))
    linear = p * (1 - k / nn)
    bullet = np.where(k >= nn, 0.0, p)
    out = np.select([method == METHOD_ANNUITY, method == METHOD_LINEAR], [annuity, linear], bullet)
    return np.clip(np.rint(out), 0, principal).astype(np.int64)


def build_loans(rng: np.random.Generator, cal: Calendar, customers: Customers, accounts: Accounts,
                rates: Rates) -> LoanBook:
    rows = np.flatnonzero(accounts.kind == K_LOAN)
    n = len(rows)
    prod = accounts.product[rows]
    cust = accounts.cust[rows]
    rank = customers.wealth_rank[cust]
    wealth = customers.wealth[cust]
    code = {c: PRODUCT_INDEX[c] for c in ("L1001", "L1002", "L1003", "L2001", "L2002")}
    is_ = {c: prod == i for c, i in code.items()}

    def pick(values: list[int], weights: list[float]) -> np.ndarray:
        w = np.asarray(weights, dtype=float)
        return np.asarray(values)[rng.choice(len(values), size=n, p=w / w.sum())]

    grade = np.minimum(customers.rating[cust], len(CORP_SIZE_BY_RATING) - 1)
    # large-exposure limit: no borrower takes more than a couple of percent of the book (a tiny bank still lends 5M)
    largest = max(LARGEST_LOAN_MIN_CNY, LARGEST_LOAN_PER_CUSTOMER_CNY * len(customers))
    principal_cny = np.select(
        [is_["L1001"], is_["L1002"], is_["L1003"], is_["L2001"]],
        [np.clip(rng.lognormal(np.log(520_000), 0.5, n) * (0.7 + 0.8 * rank), 150_000, 8_000_000),
         np.clip(rng.lognormal(np.log(50_000), 0.7, n), 5_000, 500_000),
         np.clip(rng.lognormal(np.log(400_000), 0.7, n), 50_000, 5_000_000),
         np.clip(wealth * CORP_SIZE_BY_RATING[grade] * rng.lognormal(0.8, 0.5, n), 500_000, largest)],
        np.clip(wealth * CORP_SIZE_BY_RATING[grade] * rng.lognormal(1.2, 0.5, n), 2_000_000, max(largest, 2_000_000)),
    )
    unit = np.where(is_["L2001"] | is_["L2002"], 10_000.0, 1_000.0)
    principal = (np.round(principal_cny / unit) * unit * 100).astype(np.int64)
    term = np.select(
        [is_["L1001"], is_["L1002"] | is_["L1003"], is_["L2001"]],
        [pick([240, 300, 360], [0.3, 0.2, 0.5]), pick([12, 24, 36], [0.3, 0.3, 0.4]),
         pick([6, 12, 24], [0.1, 0.8, 0.1])],
        pick([36, 60, 84], [0.3, 0.5, 0.2]),
    )
    method = np.select(
        [is_["L1001"], is_["L1002"], is_["L1003"], is_["L2001"]],
        [pick([0, 1], [0.75, 0.25]), np.zeros(n, dtype=np.int64), pick([2, 0], [0.6, 0.4]), pick([2, 3], [0.7, 0.3])],
        np.ones(n, dtype=np.int64),
    )
    collateral = np.select(
        [is_["L1001"] | is_["L2002"], is_["L1002"], is_["L1003"]],
        [np.zeros(n, dtype=np.int64), np.full(n, 3), pick([0, 2, 3], [0.5, 0.4, 0.1])],
        pick([2, 0, 3, 1], [0.4, 0.3, 0.2, 0.1]),
    )
    credit_limit = np.where(is_["L1003"] | is_["L2001"],
                            (np.round(principal * rng.uniform(1.0, 1.5, n) / 1_000_000) * 1_000_000).astype(np.int64),
                            principal)
    credit_limit = np.maximum(credit_limit, principal)

    # Rates: mortgages float on the 5-year LPR, corporate loans partly on the 1-year LPR; consumer loans are fixed.
    open_day = accounts.open_day[rows]
    at = np.clip(open_day, 0, cal.days - 1)
    floating = is_["L1001"] | is_["L2002"] | (is_["L2001"] & (rng.random(n) < 0.5))
    spread = np.select(  # over/under the LPR, millionths (consumer loans are priced separately below)
        [is_["L1001"], is_["L2002"], is_["L2001"]],
        [-rng.integers(3000, 6000, n), rng.integers(-6000, 3000, n) + CORP_SPREAD_BY_RATING[grade],
         rng.integers(-5000, 4000, n) + CORP_SPREAD_BY_RATING[grade]],
        rng.integers(2000, 12000, n),
    )
    on_5y = is_["L1001"] | is_["L2002"]
    lpr_at_open = np.where(on_5y, rates.lpr_5y[at], rates.lpr_1y[at])
    rate = np.where(is_["L1002"], np.clip(36000 + np.rint(rng.lognormal(np.log(8000), 0.7, n)), 36000, 120000),
                    lpr_at_open + spread).astype(np.int64)
    rate = (np.round(rate / 100) * 100).astype(np.int64)  # contractual rates are quoted to the basis point
    accounts.rate[rows] = rate
    accounts.floating[rows] = floating
    accounts.repricing_months[rows] = np.where(floating, 12, 0)
    maturity = cal.day_index(add_months(cal.to_dates64(open_day), term))
    accounts.maturity_day[rows] = maturity

    # Repricing of floating loans on each anniversary within the horizon, at the LPR of that day.
    for years in range(1, 3):
        # anniversaries from the start's year on
        back = (-open_day // 365).clip(min=0)
        anniversary = cal.day_index(add_months(cal.to_dates64(open_day), 12 * (back + years)))
        due = floating & (anniversary >= 1) & (anniversary < cal.days) & (anniversary < maturity)
        if due.any():
            a = anniversary[due]
            new = np.where(on_5y[due], rates.lpr_5y[a], rates.lpr_1y[a]) + spread[due]
            new = (np.round(new / 100) * 100).astype(np.int64)
            changed = new != rate[due]
            accounts.changes.add(rows[due][changed], a[changed], rate=new[changed])

    pd = RATING_PD[customers.rating[cust]] * np.select([is_["L1001"], is_["L1002"], is_["L1003"]], [0.5, 2.0, 1.3], 1.2)
    pd = np.clip(pd, 0.0002, 0.5)
    lgd = np.clip(LGD_BY_COLLATERAL[collateral] + rng.uniform(-0.05, 0.05, n), 0.05, 0.9)
    contract_no = cat("JK", (2000 + (cal.to_dates64(open_day).astype("datetime64[Y]").astype(np.int64) - 30))
                      .astype(STR), digits(rng.permutation(n) + 1_000_000, 12))

    book = LoanBook(
        acct=rows, contract_no=contract_no, principal=principal, credit_limit=credit_limit, term_months=term,
        method=method, collateral=collateral, pd=pd, lgd=lgd, maturity_day=maturity,
        ev_loan=np.array([], dtype=np.int64), ev_day=np.array([], dtype=np.int64),
        ev_kind=np.array([], dtype=np.int64), ev_amount=np.array([], dtype=np.int64),
        ev_balance=np.array([], dtype=np.int64), seg_loan=np.array([], dtype=np.int64),
        seg_from=np.array([], dtype=np.int64), seg_to=np.array([], dtype=np.int64),
        seg_outstanding=np.array([], dtype=np.int64), seg_arrears=np.array([], dtype=np.int64),
        seg_due_day=np.array([], dtype=np.int64), seg_defaulted_before=np.array([], dtype=bool),
        default_day=np.full(n, NO_DAY), initial_outstanding=np.zeros(n, dtype=np.int64),
        collateral_value=_collateral_value(rng, principal, collateral, open_day),
    )
    _simulate(rng, cal, accounts, book, rate)
    return book


def _collateral_value(rng: np.random.Generator, principal: np.ndarray, collateral: np.ndarray,
                      open_day: np.ndarray) -> np.ndarray:
    """Appraised collateral value in cents (whole hundred yuan) of mortgage and pledge loans, -1 for the others."""
    n = len(principal)
    lo, hi = ORIGINATION_LTV_RANGE
    ltv = np.clip(rng.normal(ORIGINATION_LTV_MEAN, ORIGINATION_LTV_SD, n), lo, hi)
    moved = np.where(open_day < 0, rng.uniform(*REAPPRAISAL_RANGE, n), 1.0)
    value = np.round(principal / ltv * moved / 10_000) * 10_000
    secured = (collateral == COLLATERAL_MORTGAGE) | (collateral == COLLATERAL_PLEDGE)
    return np.where(secured, value, -1).astype(np.int64)


def _simulate(rng: np.random.Generator, cal: Calendar, accounts: Accounts, book: LoanBook, rate: np.ndarray) -> None:
    n = len(book)
    open_day = accounts.open_day[book.acct]
    open64 = cal.to_dates64(open_day)
    period = np.where(book.method == METHOD_BULLET, book.term_months, 1)
    n_inst = book.term_months // period
    monthly = rate / 1e6 / 12

    def due_day(q: np.ndarray) -> np.ndarray:
        return cal.day_index(add_months(open64, q * period))

    # Instalments already due before the start, and arrears carried into the horizon.
    months_back = np.maximum(((0 - open_day) // 30.44).astype(np.int64) // period + 1, 0)
    k0 = np.minimum(months_back, n_inst)
    for _ in range(3):  # settle the estimate against the calendar
        too_many = (k0 > 0) & (due_day(k0) >= 0)
        k0 = k0 - too_many
        too_few = (k0 < n_inst) & (due_day(k0 + 1) < 0)
        k0 = k0 + too_few
    k0 = np.where(open_day >= 0, 0, k0)
    in_arrears = (k0 > 0) & (rng.random(n) < np.minimum(0.6, ARREARS_AT_START_PD_MULTIPLE * book.pd))
    m0 = np.where(in_arrears, rng.choice(ARREARS_AT_START, size=n, p=ARREARS_AT_START_P), 0)
    m0 = np.minimum(m0, k0)
    story_cure, story_write_off = _story_loans(rng, cal, book, open_day, k0, n_inst, period, m0, due_day)
    m0 = np.where(story_write_off, STORY_WRITE_OFF_ARREARS, np.where(story_cure, STORY_CURE_ARREARS, m0))
    paid = k0 - m0
    arrears = m0.copy()
    oldest = np.where(m0 > 0, paid + 1, 0)  # index of the oldest unpaid instalment
    outstanding = _outstanding(book.method, book.principal, monthly, n_inst, paid)
    book.initial_outstanding = np.where(open_day < 0, outstanding, 0)
    closed = np.zeros(n, dtype=bool)

    ev_loan, ev_day, ev_kind, ev_amt, ev_bal = [], [], [], [], []
    new = open_day >= 0
    ev_loan.append(np.flatnonzero(new))
    ev_day.append(open_day[new])
    ev_kind.append(np.full(int(new.sum()), EV_DISBURSAL))
    ev_amt.append(book.principal[new])
    ev_bal.append(book.principal[new])

    seg_loan, seg_from, seg_out, seg_arr, seg_due = [], [], [], [], []
    start_day = np.maximum(open_day, 0)
    oldest_day = np.where(arrears > 0, due_day(np.maximum(oldest, 1)), NO_DAY)

    def record(mask: np.ndarray, day: np.ndarray) -> None:
        idx = np.flatnonzero(mask)
        seg_loan.append(idx)
        seg_from.append(day[idx])
        seg_out.append(outstanding[idx].copy())
        seg_arr.append(arrears[idx].copy())
        seg_due.append(oldest_day[idx].copy())

    record(np.ones(n, dtype=bool), start_day)
    prepay = np.select([accounts.product[book.acct] == PRODUCT_INDEX["L1001"],
                        accounts.product[book.acct] == PRODUCT_INDEX["L1002"]], [0.004, 0.02], 0.008)
    p_miss = np.minimum(0.3, 0.9 * book.pd)  # most misses cure: about PD of the book defaults in a year
    j = 0
    while True:
        q = k0 + 1 + j
        day = due_day(np.minimum(q, n_inst))
        live = ~closed & (q <= n_inst) & (day < cal.days) & (day >= start_day)
        live &= (day > open_day)
        if not live.any():
            break
        u = rng.random(n)
        a_idx = np.minimum(arrears, 4)
        performing = arrears == 0
        do_prepay = live & performing & (u < prepay) & (q < n_inst)
        miss = live & np.where(performing, (u >= prepay) & (u < prepay + p_miss),
                               u >= CURE[a_idx] + PAY_ONE[a_idx])
        cure = live & ~performing & (u < CURE[a_idx])
        # the story loans follow their script whatever the draw
        forced_miss = live & (story_write_off | (story_cure & (j < STORY_CURE_MISSES)))
        forced_cure = live & story_cure & (j == STORY_CURE_MISSES)
        miss = (miss & ~forced_cure) | forced_miss
        cure = (cure & ~forced_miss) | forced_cure
        do_prepay &= ~(forced_miss | forced_cure)
        pay_one = live & ~miss & ~cure & ~do_prepay
        before = outstanding.copy()
        paid = np.where(cure, paid + arrears + 1, np.where(pay_one, paid + 1, paid))
        oldest = np.where(pay_one & ~performing, oldest + 1, oldest)
        oldest = np.where(miss & performing, q, oldest)
        arrears = np.where(cure, 0, np.where(miss, arrears + 1, arrears))
        outstanding = _outstanding(book.method, book.principal, monthly, n_inst, paid)
        outstanding = np.where(do_prepay, 0, outstanding)
        # long non-performing loans are resolved (collateral sold, guarantor pays, sold on): repaid in full
        resolve_p = np.select([arrears >= 13, arrears >= 7], [RESOLVE_LOSS, RESOLVE_DOUBTFUL], 0.0)
        resolved = live & (rng.random(n) < resolve_p) & ~story_cure & ~story_write_off
        # a loss that is resolved is written off (the whole balance, nothing paid that day) or recovered in full
        written_off = resolved & (arrears >= 13) & (rng.random(n) < WRITE_OFF_BY_COLLATERAL[book.collateral])
        scripted = live & story_write_off & (arrears >= 13)
        resolved |= scripted
        written_off |= scripted
        outstanding = np.where(resolved, 0, outstanding)
        arrears = np.where(resolved, 0, arrears)
        outstanding = np.where(live, outstanding, before)
        repaid = live & (outstanding < before) & ~written_off
        moved = repaid | written_off
        ev_loan.append(np.flatnonzero(moved))
        ev_day.append(day[moved])
        ev_kind.append(np.where(written_off, EV_WRITE_OFF, EV_REPAYMENT)[moved])
        ev_amt.append(np.where(written_off, before, before - outstanding)[moved])
        ev_bal.append(np.where(written_off, 0, outstanding)[moved])
        oldest_day = np.where(arrears > 0, due_day(np.maximum(oldest, 1)), NO_DAY)
        newly_closed = live & (outstanding == 0)
        closed |= newly_closed
        book_close = np.where(newly_closed, day, NO_DAY)
        accounts.close_day[book.acct[newly_closed]] = book_close[newly_closed]
        # a segment starts at each due date where the state may have changed
        record(live & ~newly_closed, day)
        j += 1

    loan = np.concatenate(seg_loan)
    frm = np.concatenate(seg_from)
    order = np.lexsort((frm, loan))
    loan, frm = loan[order], frm[order]
    out = np.concatenate(seg_out)[order]
    arr = np.concatenate(seg_arr)[order]
    due = np.concatenate(seg_due)[order]
    last = np.append(loan[1:] != loan[:-1], True)
    end = np.where(last, 0, np.roll(frm, -1))
    close = accounts.close_day[book.acct][loan]
    end = np.where(last, np.minimum(close, cal.days), end)
    keep = end > frm
    book.seg_loan, book.seg_from, book.seg_to = loan[keep], frm[keep], end[keep]
    book.seg_outstanding, book.seg_arrears, book.seg_due_day = out[keep], arr[keep], due[keep]
    # "defaulted before" a segment: an earlier segment of the loan went past 90 days past due (次级) on one of its days
    # (checked on every day, not only on due dates: a loan can cross 90 days between two and cure at the next)
    reached = (book.seg_arrears > 0) & (book.seg_to - 1 - book.seg_due_day > 90)
    prior = np.cumsum(reached) - reached
    group_start = np.flatnonzero(np.append(True, book.seg_loan[1:] != book.seg_loan[:-1]))
    sizes = np.diff(np.append(group_start, len(book.seg_loan)))
    book.seg_defaulted_before = (prior - np.repeat(prior[group_start], sizes)) > 0

    # First day 次级 or worse: 91 days past the oldest unpaid due date, inside a segment in arrears.
    cross = book.seg_due_day + 91
    in_seg = (book.seg_arrears > 0) & (cross < book.seg_to)
    first = np.where(in_seg, np.maximum(cross, book.seg_from), NO_DAY)
    first = np.where((book.seg_arrears > 0) & (book.seg_from == np.maximum(open_day[book.seg_loan], 0))
                     & (cross < 0), cross, first)  # already non-performing when the horizon starts
    default = np.full(n, NO_DAY)
    np.minimum.at(default, book.seg_loan, first)
    book.default_day = default

    ev = np.concatenate(ev_loan)
    evd = np.concatenate(ev_day)
    order = np.lexsort((evd, ev))
    book.ev_loan = ev[order]
    book.ev_day = evd[order]
    book.ev_kind = np.concatenate(ev_kind)[order]
    book.ev_amount = np.concatenate(ev_amt)[order]
    book.ev_balance = np.concatenate(ev_bal)[order]
