"""Accounts (账户): which products each customer holds, when they were opened, their rates and targets; and the life
cycle of term products (renewal or closure at maturity, early withdrawal)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synth.calendar import Calendar, add_months
from synth.customers import Customers
from synth.frame import NO_DAY
from synth.ids import STR, cat, digits
from synth.reference import (
    EUR,
    HKD,
    K_LOAN,
    K_TIME,
    K_WEALTH_TERM,
    LEVEL_BRANCH,
    LEVEL_SUB,
    PRODUCT_INDEX,
    PRODUCTS,
    USD,
    Branches,
    Rates,
    product_base_rate,
)

KIND = np.array([p.kind for p in PRODUCTS])
IS_WEALTH = np.array([p.line == "WEALTH" for p in PRODUCTS])
TERM = np.array([p.term_months or 0 for p in PRODUCTS])
# Share of a customer's assets a product holds (before normalising over what the customer has).
ASSET_WEIGHT = {"D1001": 1.0, "D2001": 1.6, "D1201": 0.4, "D2301": 0.5, "D2201": 0.8, "W1001": 1.2, "W1002": 1.2,
                "W1003": 0.8}
# Savers keep most of their money on term (定期化: about two thirds of personal deposits are time deposits).
TIME_WEIGHT = 2.6
# Deposits opened before the horizon keep the list rate of their day, higher the further back; the book's rates stay
# within the ceiling of today's 3–5-year list rates plus a little (the market's self-discipline caps).
LEGACY_PREMIUM_PER_YEAR = 4000  # millionths per year back
LEGACY_PREMIUM_MAX = 10000
DEPOSIT_RATE_CEILING = 16000
# Corporate credit by internal rating (AAA … CCC): banks lend to weaker companies less often, and less.
CORP_WORKING_CAPITAL_P = np.array([0.45, 0.45, 0.42, 0.38, 0.30, 0.18, 0.08])
CORP_FIXED_ASSET_P = np.array([0.14, 0.13, 0.12, 0.10, 0.08, 0.05, 0.02])
STATUS_ACTIVE, STATUS_DORMANT, STATUS_FROZEN, STATUS_CLOSED = "0", "1", "2", "9"


@dataclass
class AccountChanges:
    """Changes to account records after they were first delivered (each re-delivers the whole record)."""

    acct: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    maturity_day: list[np.ndarray] = field(default_factory=list)  # -1 = unchanged
    rate: list[np.ndarray] = field(default_factory=list)  # -1 = unchanged
    status: list[np.ndarray] = field(default_factory=list)  # '' = unchanged

    def add(self, acct: np.ndarray, day: np.ndarray, maturity: np.ndarray | None = None,
            rate: np.ndarray | None = None, status: str | None = None) -> None:
        n = len(acct)
        self.acct.append(np.asarray(acct, dtype=np.int64))
        self.day.append(np.asarray(day, dtype=np.int64))
        self.maturity_day.append(np.full(n, -1, dtype=np.int64) if maturity is None else maturity.astype(np.int64))
        self.rate.append(np.full(n, -1, dtype=np.int64) if rate is None else rate.astype(np.int64))
        self.status.append(np.full(n, status or "", dtype=STR))

    def arrays(self) -> dict[str, np.ndarray]:
        if not self.acct:
            empty = np.array([], dtype=np.int64)
            return {"acct": empty, "day": empty, "maturity_day": empty, "rate": empty,
                    "status": np.array([], dtype=STR)}
        return {
            "acct": np.concatenate(self.acct), "day": np.concatenate(self.day),
            "maturity_day": np.concatenate(self.maturity_day), "rate": np.concatenate(self.rate),
            "status": np.concatenate(self.status),
        }


@dataclass
class Accounts:
    cust: np.ndarray
    product: np.ndarray
    currency: np.ndarray
    branch: np.ndarray
    open_day: np.ndarray
    maturity_day: np.ndarray  # initial contractual maturity (NO_DAY for non-maturity products)
    close_day: np.ndarray  # NO_DAY = open at the end of the horizon
    rate: np.ndarray  # contractual rate at the first delivery, millionths
    floating: np.ndarray
    repricing_months: np.ndarray  # 0 = none
    target: np.ndarray  # typical balance, account currency units (float)
    principal: np.ndarray  # cents: initial deposit of term products
    debit_card: np.ndarray  # a debit card is linked (personal demand accounts)
    first_update_day: np.ndarray
    account_no: np.ndarray = field(default_factory=lambda: np.array([], dtype=STR))
    changes: AccountChanges = field(default_factory=AccountChanges)

    def __len__(self) -> int:
        return len(self.cust)

    @property
    def kind(self) -> np.ndarray:
        return KIND[self.product]


def _pick(rng: np.random.Generator, weights: list[float], size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=size, p=w / w.sum())


def build_accounts(rng: np.random.Generator, cal: Calendar, customers: Customers, branches: Branches,
                   rates: Rates) -> Accounts:
    n = len(customers)
    corp = customers.corporate
    rank = customers.wealth_rank
    active = ~customers.dormant
    cust_l: list[np.ndarray] = []
    prod_l: list[np.ndarray] = []
    ccy_l: list[np.ndarray] = []
    open_l: list[np.ndarray] = []

    def hold(mask: np.ndarray, code: str | np.ndarray, open_day: np.ndarray, ccy: np.ndarray | None = None) -> None:
        who = np.flatnonzero(mask)
        cust_l.append(who)
        prod_l.append(np.full(len(who), PRODUCT_INDEX[code]) if isinstance(code, str) else code[who])
        ccy_l.append(np.zeros(len(who), dtype=np.int64) if ccy is None else ccy[who])
        open_l.append(open_day[who])

    def opened(max_years_back: float, mask: np.ndarray) -> np.ndarray:
        """Opened after the customer: years back for existing customers, soon after for new ones."""
        back = -np.ceil(rng.uniform(0, max_years_back, n) * 365.25).astype(np.int64)
        day = np.maximum(customers.open_day, back)
        later = customers.open_day >= 0
        day[later] = customers.open_day[later] + rng.integers(0, 60, int(later.sum()))
        return day

    hold(~corp, "D1001", customers.open_day)
    hold(corp, "D2001", customers.open_day)
    # Time deposits: more and longer among the wealthy; new ones keep arriving (the Q1 campaign weighs most).
    td_personal = np.array([PRODUCT_INDEX[c] for c in ("D1102", "D1103", "D1104", "D1105", "D1106", "D1107")])
    td_corp = np.array([PRODUCT_INDEX[c] for c in ("D2101", "D2102")])
    has_td = active & (rng.random(n) < np.where(corp, 0.7, 0.25 + 0.55 * rank))
    n_td = np.where(has_td, 1 + np.minimum(rng.poisson(np.where(corp, 0.8, 1.0 * rank)), 3), 0)
    td_cust = np.repeat(np.arange(n), n_td)
    td_prod = np.where(corp[td_cust], td_corp[_pick(rng, [0.7, 0.3], len(td_cust))],
                       td_personal[_pick(rng, [0.08, 0.08, 0.27, 0.15, 0.28, 0.14], len(td_cust))])
    td_days = np.ceil(TERM[td_prod] * 30.44).astype(np.int64)
    td_open = -(rng.random(len(td_cust)) * td_days).astype(np.int64) - 1
    td_open = np.maximum(td_open, customers.open_day[td_cust])
    new_cust = customers.open_day[td_cust] >= 0
    td_open[new_cust] = customers.open_day[td_cust][new_cust] + rng.integers(0, 45, int(new_cust.sum()))
    cust_l.append(td_cust)
    prod_l.append(td_prod)
    ccy_l.append(np.zeros(len(td_cust), dtype=np.int64))
    open_l.append(td_open)
    # New time deposits during the horizon from existing savers.
    years = cal.days / 365
    n_new_td = rng.poisson(np.where(has_td | (active & (rank > 0.5)), 0.35 * years, 0.0))
    nt_cust = np.repeat(np.arange(n), n_new_td)
    w = cal.acquisition()
    nt_open = rng.choice(cal.days, size=len(nt_cust), p=w / w.sum())
    nt_open = np.maximum(nt_open, customers.open_day[nt_cust] + 1)
    nt_prod = np.where(corp[nt_cust], td_corp[_pick(rng, [0.8, 0.2], len(nt_cust))],
                       td_personal[_pick(rng, [0.15, 0.15, 0.35, 0.1, 0.2, 0.05], len(nt_cust))])
    cust_l.append(nt_cust)
    prod_l.append(nt_prod)
    ccy_l.append(np.zeros(len(nt_cust), dtype=np.int64))
    open_l.append(nt_open)

    fx_ccy = np.where(corp, rng.choice([USD, EUR, HKD], size=n, p=[0.8, 0.12, 0.08]),
                      rng.choice([USD, HKD, EUR], size=n, p=[0.65, 0.25, 0.1]))
    hold(active & ~corp & (rng.random(n) < 0.01 + 0.12 * rank**2), "D1201", opened(8, ~corp), fx_ccy)
    hold(active & corp & (rng.random(n) < 0.12), "D2301", opened(8, corp), fx_ccy)
    hold(active & corp & (rng.random(n) < 0.15), "D2201", opened(5, corp))
    hold(active & (rng.random(n) < np.where(corp, 0.08, 0.05 + 0.5 * rank**2)), "W1001", opened(3, active))
    hold(active & ~corp & (rng.random(n) < 0.04 + 0.3 * rank**2), "W1003", opened(4, ~corp))
    w1002_open = np.where(customers.open_day >= 0, customers.open_day + rng.integers(0, 60, n),
                          np.maximum(customers.open_day, -rng.integers(1, 360, n)))
    hold(active & ~corp & (rng.random(n) < 0.03 + 0.3 * rank**2), "W1002", w1002_open)

    # Loans: mortgages for people in their working years, consumer and business loans, corporate credit.
    age = customers.age
    mortgage = active & ~corp & (age >= 25) & (age <= 58) & (rng.random(n) < np.where(rank > 0.3, 0.11, 0.06))
    hold(mortgage, "L1001", np.maximum(customers.open_day, -rng.integers(30, 3650, n)))
    hold(active & ~corp & (rng.random(n) < 0.06), "L1002", np.maximum(customers.open_day, -rng.integers(10, 1000, n)))
    hold(active & ~corp & (age >= 28) & (rng.random(n) < 0.025), "L1003",
         np.maximum(customers.open_day, -rng.integers(10, 1000, n)))
    grade = np.minimum(customers.rating, len(CORP_WORKING_CAPITAL_P) - 1)
    hold(active & corp & (rng.random(n) < CORP_WORKING_CAPITAL_P[grade]), "L2001",
         np.maximum(customers.open_day, -rng.integers(5, 360, n)))
    hold(active & corp & (rng.random(n) < CORP_FIXED_ASSET_P[grade]), "L2002",
         np.maximum(customers.open_day, -rng.integers(30, 1700, n)))
    # New loans during the horizon: originations replace what is repaid and grow the book by about a tenth a year
    # (working-capital loans roll over within the year; mortgages and fixed-asset loans run off slowly).
    for code, mask, per_year in (("L1001", ~corp & (age < 50), 0.006), ("L1002", ~corp, 0.035),
                                 ("L1003", ~corp & (age >= 28), 0.004),
                                 ("L2001", corp, 0.4 * CORP_WORKING_CAPITAL_P[grade]),
                                 ("L2002", corp, 0.04 * CORP_FIXED_ASSET_P[grade])):
        k = rng.poisson(np.where(mask & active, per_year * years, 0.0))
        who = np.repeat(np.arange(n), k)
        day = np.maximum(rng.choice(cal.days, size=len(who), p=w / w.sum()), customers.open_day[who] + 1)
        cust_l.append(who)
        prod_l.append(np.full(len(who), PRODUCT_INDEX[code]))
        ccy_l.append(np.zeros(len(who), dtype=np.int64))
        open_l.append(day)

    cust = np.concatenate(cust_l)
    product = np.concatenate(prod_l)
    currency = np.concatenate(ccy_l)
    open_day = np.concatenate(open_l).astype(np.int64)
    keep = open_day < cal.days
    cust, product, currency, open_day = cust[keep], product[keep], currency[keep], open_day[keep]
    order = np.lexsort((product, open_day, cust))
    cust, product, currency, open_day = cust[order], product[order], currency[order], open_day[order]
    m = len(cust)
    kind = KIND[product]

    # Branch: the customer's home outlet, sometimes another outlet of the same region.
    branch = customers.home_branch[cust].copy()
    region = branches.region_of()
    outlets = np.flatnonzero((branches.level == LEVEL_BRANCH) | (branches.level == LEVEL_SUB))
    elsewhere = (rng.random(m) < 0.08) & ~customers.corporate[cust]
    for r in np.unique(region[branch[elsewhere]]):
        rows = np.flatnonzero(elsewhere & (region[branch] == r))
        pool = outlets[region[outlets] == r]
        branch[rows] = rng.choice(pool, size=len(rows))

    # Targets: the customer's assets split over deposit and wealth products; FX in the account currency.
    weight = np.array([ASSET_WEIGHT.get(p.code, TIME_WEIGHT if p.kind == K_TIME else 0.0) for p in PRODUCTS])[product]
    total_w = np.bincount(cust, weights=weight, minlength=len(customers))
    target_cny = customers.wealth[cust] * weight / np.maximum(total_w[cust], 1e-9)
    fx_now = rates.fx[0, currency] / 1e6
    target = target_cny / fx_now
    term_product = (kind == K_TIME) | (kind == K_WEALTH_TERM)
    unit = np.where(target >= 10_000, 1000.0, 100.0)
    principal = np.where(term_product, np.maximum(np.round(target / unit) * unit, 1000.0) * 100, 0).astype(np.int64)

    # Rates: list rate when opened; deposits opened years ago carry the higher rates of their time.
    list_rate = np.zeros(m, dtype=np.int64)
    for p in np.unique(product):
        rows = product == p
        list_rate[rows] = product_base_rate(int(p), np.maximum(open_day[rows], 0), rates)
    years_back = np.maximum(-open_day, 0) / 365.25
    premium = np.where(kind == K_TIME, np.minimum(years_back * LEGACY_PREMIUM_PER_YEAR, LEGACY_PREMIUM_MAX), 0)
    rate = np.where(kind == K_TIME, np.minimum(list_rate + premium.astype(np.int64), DEPOSIT_RATE_CEILING), list_rate)
    rate = (np.round(rate / 100) * 100).astype(np.int64)  # quoted to the basis point
    floating = np.zeros(m, dtype=bool)
    repricing = np.zeros(m, dtype=np.int64)

    term = TERM[product]
    maturity = np.full(m, NO_DAY)
    has_term = term_product
    maturity[has_term] = cal.day_index(add_months(cal.to_dates64(open_day[has_term]), term[has_term]))
    debit_card = (product == PRODUCT_INDEX["D1001"]) & (rng.random(m) < 0.9) & ~customers.dormant[cust]
    first_update = np.where(open_day < 0, np.maximum(open_day, customers.first_update_day[cust]), open_day)
    first_update = np.minimum(np.maximum(first_update, open_day), np.maximum(open_day, 0))

    accounts = Accounts(
        cust=cust, product=product, currency=currency, branch=branch, open_day=open_day, maturity_day=maturity,
        close_day=np.full(m, NO_DAY), rate=rate, floating=floating, repricing_months=repricing, target=target,
        principal=principal, debit_card=debit_card, first_update_day=first_update,
    )
    accounts.account_no = account_numbers(rng, branches, accounts)
    return accounts


def account_numbers(rng: np.random.Generator, branches: Branches, accounts: Accounts,
                    serial_base: int = 1_000_000_000) -> np.ndarray:
    """19 digits: branch, product class, a serial increasing with the opening date, Luhn check digit. Accounts opened
    later by campaigns (synth.marketing) number from another serial base, so the two ranges never meet."""
    m = len(accounts)
    line_digit = {"DEPOSIT": 1, "LOAN": 2, "WEALTH": 3, "CARD": 4}
    cls = np.array([line_digit[p.line] * 10 + (1 if p.customer_type == "C" else 0) for p in PRODUCTS])
    order = np.lexsort((np.arange(m), accounts.open_day))
    serial = np.empty(m, dtype=np.int64)
    serial[order] = serial_base + np.arange(m) * 7 + rng.integers(0, 7, m)
    body = branches.code[accounts.branch].astype(np.int64) * 10**12 + cls[accounts.product] * 10**10 + serial
    powers = 10 ** np.arange(17, -1, -1, dtype=np.int64)
    dig = (body[:, None] // powers[None, :]) % 10
    positions = np.arange(18)[::-1] % 2 == 0
    doubled = dig.copy()
    d = doubled[:, positions] * 2
    doubled[:, positions] = np.where(d > 9, d - 9, d)
    check = (10 - doubled.sum(axis=1) % 10) % 10
    return cat(digits(body, 18), check.astype(STR))


def term_lifecycle(rng: np.random.Generator, cal: Calendar, accounts: Accounts, rates: Rates,
                   churn_day: np.ndarray, churn_closed: np.ndarray) -> None:
    """Maturities in the horizon: most personal time deposits roll over (自动转存) at the then list rate, the rest
    close; closed-end wealth products pay out and close. Churners break their deposits before they leave; closed
    churners close everything on the churn day, dormant ones leave their demand accounts asleep."""
    kind = accounts.kind
    close = accounts.close_day
    maturity = accounts.maturity_day.copy()
    renewable = kind == K_TIME
    for _ in range(40):  # one pass per successive maturity (a 3-month deposit matures four times a year)
        due = (maturity < cal.days) & (maturity >= 0) & (close == NO_DAY)
        due &= (kind == K_TIME) | (kind == K_WEALTH_TERM)
        if not due.any():
            break
        rows = np.flatnonzero(due)
        renew = renewable[rows] & (rng.random(len(rows)) < 0.7)
        stop = rows[~renew]
        close[stop] = maturity[stop]
        again = rows[renew]
        if len(again):
            day = maturity[again]
            new_maturity = cal.day_index(add_months(cal.to_dates64(day), TERM[accounts.product[again]]))
            new_rate = np.zeros(len(again), dtype=np.int64)
            for p in np.unique(accounts.product[again]):
                sel = accounts.product[again] == p
                new_rate[sel] = product_base_rate(int(p), day[sel], rates)
            accounts.changes.add(again, day, maturity=new_maturity, rate=new_rate)
            maturity[again] = new_maturity
        maturity[stop] = NO_DAY
    # Early withdrawal (提前支取) of a few deposits.
    early = (kind == K_TIME) & (close == NO_DAY) & (rng.random(len(accounts)) < 0.03 * cal.days / 365)
    lo = np.maximum(accounts.open_day, 0) + 1
    ok = early & (lo < cal.days - 1)
    close[ok] = lo[ok] + (rng.random(int(ok.sum())) * (cal.days - 1 - lo[ok])).astype(np.int64)
    # Churners: deposits and wealth go first, the rest on the churn day (closed churners only).
    c_day = churn_day[accounts.cust]
    leaving = c_day < cal.days
    early_kinds = (kind == K_TIME) | (kind == K_WEALTH_TERM) | IS_WEALTH[accounts.product]
    first = leaving & early_kinds & (close == NO_DAY)
    when = c_day - rng.integers(5, 50, len(accounts))
    when = np.maximum(when, np.maximum(accounts.open_day, 0) + 1)
    close[first] = np.minimum(close[first], np.minimum(when[first], c_day[first]))
    rest = leaving & churn_closed[accounts.cust] & (close == NO_DAY) & (kind != K_LOAN)
    close[rest] = c_day[rest]
    too_early = close <= accounts.open_day
    close[too_early & (close != NO_DAY)] = accounts.open_day[too_early & (close != NO_DAY)] + 1
    close[close >= cal.days] = NO_DAY
    accounts.close_day = close
    # a deposit withdrawn early or closed by a leaving customer does not roll over afterwards
    ch = accounts.changes
    for i, (acct, day, maturity) in enumerate(zip(ch.acct, ch.day, ch.maturity_day, strict=True)):
        keep = ~((maturity >= 0) & (day >= close[acct]))
        for part in (ch.acct, ch.day, ch.maturity_day, ch.rate, ch.status):
            part[i] = part[i][keep]


