"""Money flows on deposit and wealth accounts: transactions and the balances they leave.

Each account gets a stream of events over the horizon: credits with an amount (salary on payday, transfers in, cash
deposits, subscriptions) and debits that take a share of the balance at that moment (payments, transfers out,
withdrawals, redemptions), plus fixed fees and the closing transfer. Because debits take a share of what is there, a
balance hovers around the account's target and never goes negative. Amounts come out in exact cents from a scan over
events in time order, vectorised across accounts (step k handles the k-th event of every account at once).

Churners (客户流失) show the classic signals first: salary stops arriving about two months before they leave, activity
thins out and larger transfers drain the balance; then they close their accounts at the counter or fall dormant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth import vocab
from synth.accounts import Accounts
from synth.calendar import Calendar
from synth.customers import CAUSE_SALARY, CAUSE_SERVICE, Customers, company_names, person_names
from synth.frame import NO_DAY
from synth.ids import STR, text
from synth.reference import (
    K_DEMAND,
    K_FX,
    K_NOTICE,
    K_TIME,
    K_WEALTH_OPEN,
    K_WEALTH_TERM,
    PRODUCT_INDEX,
    PRODUCTS,
)

TXN_TYPES = ["DEP", "WDL", "TRI", "TRO", "PAY", "SAL", "FEE", "LDS", "LRP", "WMB", "WMR", "WOF"]
DEP, WDL, TRI, TRO, PAY, SAL, FEE, LDS, LRP, WMB, WMR, WOF = range(len(TXN_TYPES))
CHANNELS = ["CTR", "ATM", "MOB", "NET", "POS", "TEL"]
CTR, ATM, MOB, NET, POS, TEL = range(len(CHANNELS))
# how an event moves the balance
CR, DF, DA, DX = range(4)  # credit amount, debit a fraction, debit all, debit a fixed amount
FEE_NONE, FEE_RETAIL_COUNTER, FEE_CORP_ONLINE, FEE_CORP_COUNTER, FEE_FUND = range(5)
# Monthly commission on wealth holdings, share of the amount held, by product (index into PRODUCTS): about 0.3 % a
# year on cash-management products, 0.5 % on closed-end products and distributed funds.
WEALTH_FEE_PER_MONTH = np.array([{"W1001": 0.00025, "W1002": 0.0004, "W1003": 0.0004}.get(p.code, 0.0)
                                 for p in PRODUCTS])
CHURN_RAMP_DAYS = 90
SALARY_STOPS_DAYS = 60
SERVICE_FAILURE_DAYS = 75  # a service-failure leaver's payments start failing this long before they leave
SERVICE_FAILURE_SHARE = 0.3  # … and this share of them is reversed (冲正)


@dataclass
class Events:
    """Balance-changing events of accounts (also used for loans), in any order until ``sort``-ed."""

    acct: np.ndarray
    day: np.ndarray
    sec: np.ndarray
    txn_type: np.ndarray
    channel: np.ndarray
    move: np.ndarray  # CR / DF / DA / DX
    value: np.ndarray  # CR, DX: cents; DF: fraction in millionths
    fee_class: np.ndarray
    counterparty: np.ndarray  # index into the counterparty pool, -1 none

    def __len__(self) -> int:
        return len(self.acct)


@dataclass
class Flows:
    """Posted transactions of deposit and wealth accounts, with the balance after each."""

    acct: np.ndarray
    day: np.ndarray
    sec: np.ndarray
    txn_type: np.ndarray
    channel: np.ndarray
    credit: np.ndarray  # bool: credits the account (贷), else debits it (借)
    amount: np.ndarray  # cents, positive
    fee: np.ndarray  # cents
    balance: np.ndarray  # cents after the transaction
    counterparty: np.ndarray
    reversal_of: np.ndarray  # -1, or the index (in this table) of the transaction reversed
    paired: np.ndarray  # bool: one leg of a same-day reversal pair (no effect on the end-of-day balance)
    initial: np.ndarray  # per account: balance at the end of the day before the horizon (cents)

    def __len__(self) -> int:
        return len(self.acct)


@dataclass
class Counterparties:
    """Names that appear as 对方户名 or merchant: people, companies (the bank's corporate customers among them),
    payment platforms and card merchants (with their category code)."""

    names: np.ndarray
    slices: dict[str, slice]
    merchant_mcc: np.ndarray  # per merchant (in the order of the merchants slice)


def counterparty_pool(rng: np.random.Generator, customers: Customers) -> Counterparties:
    people = person_names(rng, 3000)
    corp_names = customers.name[customers.corporate]
    others = company_names(rng, rng.integers(0, len(vocab.CITIES), 800),
                           rng.integers(0, len(vocab.INDUSTRIES), 800))
    platforms = text(vocab.PAYMENT_COUNTERPARTIES)
    merchant_names, merchant_mcc = [], []
    cities = [c[0] for c in vocab.CITIES]
    for mcc, words, _, _ in vocab.MERCHANTS:
        for _ in range(25):
            city = cities[int(rng.integers(len(cities)))]
            brand = vocab.BRAND_WORDS[int(rng.integers(len(vocab.BRAND_WORDS)))]
            merchant_names.append(f"{city}{brand}{words[int(rng.integers(len(words)))]}")
            merchant_mcc.append(mcc)
    merchants = text(merchant_names)
    pool = np.concatenate([people, corp_names, others, platforms, merchants]).astype(STR)
    a = len(people)
    c = a + len(corp_names) + len(others)
    d = c + len(platforms)
    return Counterparties(
        names=pool,
        slices={"people": slice(0, a), "companies": slice(a, c), "platforms": slice(c, d),
                "merchants": slice(d, len(pool))},
        merchant_mcc=text(merchant_mcc),
    )


def _secs(rng: np.random.Generator, channel: np.ndarray, corporate: np.ndarray) -> np.ndarray:
    n = len(channel)
    evening = rng.random(n) < 0.5
    online = np.where(evening, rng.normal(20.5 * 3600, 2 * 3600, n), rng.normal(12.5 * 3600, 2.5 * 3600, n))
    office = rng.uniform(9 * 3600, 17 * 3600, n)
    atm = rng.normal(14 * 3600, 4 * 3600, n)
    pos = rng.normal(15 * 3600, 3.5 * 3600, n)
    sec = np.select([channel == CTR, channel == ATM, channel == POS, corporate], [office, atm, pos, office], online)
    return np.clip(sec, 0, 86399).astype(np.int64)


def _choose(rng: np.random.Generator, options: list[int], weights: np.ndarray) -> np.ndarray:
    """Per-row choice: ``weights`` is (n, len(options)), rows need not be normalised."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.asarray(options)[(u[:, None] >= cum).sum(axis=1)]


def _sample_days(rng: np.random.Generator, counts: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each account, ``counts[a]`` days drawn from the day weights: (account index, day)."""
    owner = np.repeat(np.arange(len(counts)), counts)
    days = rng.choice(len(weights), size=len(owner), p=weights / weights.sum())
    return owner, days


def build_flows(rng: np.random.Generator, cal: Calendar, customers: Customers, accounts: Accounts,
                churn_day: np.ndarray, churn_cause: np.ndarray, parties: Counterparties) -> Flows:
    kind = accounts.kind
    flow = np.isin(kind, [K_DEMAND, K_FX, K_NOTICE, K_WEALTH_OPEN, K_TIME, K_WEALTH_TERM])
    m = len(accounts)
    cust = accounts.cust
    corp = customers.corporate[cust]
    alpha = customers.activity[cust]
    target = accounts.target
    days = cal.days
    open_in = accounts.open_day >= 0
    lo = np.where(open_in, accounts.open_day + 1, 0)  # regular activity starts the day after opening
    hi = np.minimum(accounts.close_day, days)  # … and stops before the closing day
    c_day = churn_day[cust]

    w_ret = cal.retail_activity()
    w_corp = cal.corporate_activity()
    w_ret = w_ret / w_ret.mean()
    w_corp = w_corp / w_corp.mean()
    personal_demand = flow & (kind == K_DEMAND) & ~corp
    corp_demand = flow & (kind == K_DEMAND) & corp
    fx = flow & (kind == K_FX)
    notice = flow & (kind == K_NOTICE)
    wealth = flow & (kind == K_WEALTH_OPEN)
    salary_account = personal_demand & customers.salaried[cust]
    # the first demand account of a customer receives the salary
    first_of_cust = np.ones(m, dtype=bool)
    first_of_cust[1:] = cust[1:] != cust[:-1]
    salary_account &= first_of_cust | (accounts.product == PRODUCT_INDEX["D1001"])
    _, first_idx = np.unique(np.where(salary_account, cust, -1), return_index=True)
    only_first = np.zeros(m, dtype=bool)
    only_first[first_idx] = True
    salary_account &= only_first

    debit_rate = np.select(
        [personal_demand, corp_demand, fx & ~corp, fx & corp, notice, wealth],
        [0.16 * alpha, 1.0 * alpha, np.full(m, 0.015), 0.25 * alpha, np.full(m, 0.02), 0.02 * alpha * (1 + corp)],
        0.0,
    )
    frac = np.select(
        [personal_demand, corp_demand, fx, notice, wealth],
        [np.clip(0.15 * (np.maximum(target, 1) / 5000) ** -0.3, 0.01, 0.35),
         np.clip(0.10 * (np.maximum(target, 1) / 300_000) ** -0.25, 0.01, 0.3),
         np.full(m, 0.25), np.full(m, 0.4), np.full(m, 0.3)],
        0.0,
    )
    inflow = debit_rate * frac * target + np.where(corp_demand, 0.004 * target, 0.0)  # per day, account currency
    tri_rate = np.select(
        [salary_account, personal_demand, corp_demand, fx | notice, wealth],
        [0.03 * alpha, 0.07 * alpha, 0.9 * alpha, debit_rate, debit_rate],
        0.0,
    )
    tri_share = np.select([salary_account, personal_demand], [0.2, 0.85], 1.0)
    dep_rate = np.where(personal_demand, 0.006, 0.0)
    dep_share = np.where(salary_account, 0.05, 0.15) * personal_demand

    parts: list[Events] = []

    def add(owner: np.ndarray, day: np.ndarray, txn_type: np.ndarray | int, channel: np.ndarray | int,
            move: int, value: np.ndarray, fee_class: np.ndarray | int = FEE_NONE,
            counterparty: np.ndarray | int = -1, sec: np.ndarray | None = None) -> None:
        n = len(owner)
        # compact dtypes: these arrays are the largest of the run and every pass over them costs
        ch = np.broadcast_to(np.asarray(channel, dtype=np.int8), (n,)).copy()
        parts.append(Events(
            acct=owner.astype(np.int32), day=day.astype(np.int32),
            sec=(_secs(rng, ch, corp[owner]) if sec is None else sec).astype(np.int32),
            txn_type=np.broadcast_to(np.asarray(txn_type, dtype=np.int8), (n,)).copy(), channel=ch,
            move=np.full(n, move, dtype=np.int8), value=value.astype(np.int64),
            fee_class=np.broadcast_to(np.asarray(fee_class, dtype=np.int8), (n,)).copy(),
            counterparty=np.broadcast_to(np.asarray(counterparty, dtype=np.int32), (n,)).copy(),
        ))

    def in_window(owner: np.ndarray, day: np.ndarray) -> np.ndarray:
        return (day >= lo[owner]) & (day < hi[owner]) & (day <= c_day[owner])

    def churn_keep(owner: np.ndarray, day: np.ndarray) -> np.ndarray:
        progress = np.clip((day - (c_day[owner] - CHURN_RAMP_DAYS)) / CHURN_RAMP_DAYS, 0, 1)
        return rng.random(len(owner)) >= 0.75 * progress

    def pool_pick(name: str, n: int) -> np.ndarray:
        s = parties.slices[name]
        return rng.integers(s.start, s.stop, n) if s.stop > s.start else np.full(n, -1)

    age = customers.age[cust]
    # --- debits taking a share of the balance ---------------------------------------------------------------------
    for mask, weights in ((flow & ~corp, w_ret), (flow & corp, w_corp)):
        counts = rng.poisson(np.where(mask, debit_rate * days, 0.0))
        owner, day = _sample_days(rng, counts, weights)
        keep = in_window(owner, day) & churn_keep(owner, day)
        owner, day = owner[keep], day[keep]
        n = len(owner)
        progress = np.clip((day - (c_day[owner] - CHURN_RAMP_DAYS)) / CHURN_RAMP_DAYS, 0, 1)
        f = frac[owner] * rng.gamma(2.0, 0.5, n) * (1 + 2.5 * progress)
        f = np.clip(f, 0.0005, 0.95)
        k = kind[owner]
        is_corp = corp[owner]
        old = age[owner] > 65
        card = accounts.debit_card[owner]
        tt = np.select(
            [k == K_WEALTH_OPEN, k == K_FX, k == K_NOTICE, is_corp],
            [np.full(n, WMR), np.where(rng.random(n) < 0.2, WDL, TRO), np.full(n, TRO),
             _choose(rng, [TRO, PAY, WDL], np.tile([0.75, 0.2, 0.05], (n, 1)))],
            _choose(rng, [PAY, TRO, WDL], np.tile([0.70, 0.24, 0.06], (n, 1))),
        )
        # channel by type, segment and age (older customers still come to the counter)
        w_pay = np.where(old[:, None], [0.2, 0, 0.55, 0.05, 0.2, 0], [0, 0, 0.84, 0.08, 0.08, 0])
        # without a debit card the POS share is paid by phone (young) or at the counter (old)
        no_card = ~card[:, None]
        w_pay = w_pay + no_card * w_pay[:, [POS]] * np.where(old[:, None], [1, 0, 0, 0, -1, 0], [0, 0, 1, 0, -1, 0])
        w_tro = np.where(old[:, None], [0.35, 0, 0.55, 0.05, 0, 0.05], [0.04, 0, 0.86, 0.09, 0, 0.01])
        w_wdl = np.where(old[:, None], [0.6, 0.4, 0, 0, 0, 0], [0.25, 0.75, 0, 0, 0, 0])
        w_corp_ch = np.tile([0.10, 0, 0.05, 0.85, 0, 0], (n, 1))
        w_wealth = np.tile([0.05, 0, 0.85, 0.10, 0, 0], (n, 1))
        weights_ch = np.select(
            [(tt == WMR)[:, None], is_corp[:, None] & (tt != WDL)[:, None], (tt == WDL)[:, None],
             (tt == PAY)[:, None]],
            [w_wealth, w_corp_ch, np.where(is_corp[:, None], [1.0, 0, 0, 0, 0, 0], w_wdl), w_pay],
            w_tro,
        )
        ch = _choose(rng, list(range(len(CHANNELS))), weights_ch)
        fee_class = np.select(
            [is_corp & (ch == CTR) & np.isin(tt, [TRO, PAY]), is_corp & np.isin(tt, [TRO, PAY]),
             ~is_corp & (ch == CTR) & (tt == TRO)],
            [FEE_CORP_COUNTER, FEE_CORP_ONLINE, FEE_RETAIL_COUNTER], FEE_NONE,
        )
        cp = np.select(
            [tt == PAY, is_corp & (tt == TRO), tt == TRO],
            [np.where(is_corp, pool_pick("companies", n), np.where(ch == POS, pool_pick("merchants", n),
                                                                   pool_pick("platforms", n))),
             pool_pick("companies", n),
             np.where(rng.random(n) < 0.7, pool_pick("people", n), pool_pick("platforms", n))],
            -1,
        )
        add(owner, day, tt, ch, DF, np.rint(f * 1e6), fee_class, cp)

    # --- credits ----------------------------------------------------------------------------------------------------
    def credit_amount(owner: np.ndarray, share: np.ndarray, rate: np.ndarray, sigma: float) -> np.ndarray:
        mean = inflow[owner] * share[owner] / np.maximum(rate[owner], 1e-9)
        return np.maximum(np.rint(mean * rng.lognormal(-sigma**2 / 2, sigma, len(owner)) * 100), 100)

    quarter_end = cal.quarter_end_window(3)
    for mask, weights, sigma in ((flow & ~corp, w_ret, 0.6), (flow & corp, w_corp, 1.0)):
        counts = rng.poisson(np.where(mask, tri_rate * days, 0.0))
        owner, day = _sample_days(rng, counts, weights)
        keep = in_window(owner, day) & churn_keep(owner, day)
        owner, day = owner[keep], day[keep]
        n = len(owner)
        is_corp = corp[owner]
        amount = credit_amount(owner, tri_share, tri_rate, sigma)
        # quarter-end window dressing (冲时点): corporate receipts swell in the last days of a quarter
        amount = np.where(is_corp & quarter_end[day], amount * 1.3, amount)
        k = kind[owner]
        tt = np.where(k == K_WEALTH_OPEN, WMB, TRI)
        ch = np.where(is_corp, np.where(rng.random(n) < 0.9, NET, CTR),
                      np.where(tt == WMB, MOB, np.where(rng.random(n) < 0.6, MOB, NET)))
        fee_class = np.where(accounts.product[owner] == PRODUCT_INDEX["W1003"], FEE_FUND, FEE_NONE)
        cp = np.where(tt == WMB, -1, np.where(is_corp | (rng.random(n) < 0.3), pool_pick("companies", n),
                                                pool_pick("people", n)))
        add(owner, day, tt, ch, CR, amount, fee_class, cp)
    counts = rng.poisson(np.where(flow, dep_rate * days, 0.0))
    owner, day = _sample_days(rng, counts, w_ret)
    keep = in_window(owner, day) & churn_keep(owner, day)
    owner, day = owner[keep], day[keep]
    add(owner, day, DEP, np.where(rng.random(len(owner)) < 0.5, ATM, CTR), CR,
        credit_amount(owner, dep_share, np.maximum(dep_rate, 1e-9), 0.6))

    # Salary (代发工资) on payday, rolled back to a working day; a year-end bonus before the Spring Festival.
    months64 = cal.dates[cal.month_first_day].astype("datetime64[M]")
    first_days = cal.day_index(months64.astype("datetime64[D]"))  # the 1st of each month (maybe before day 0)
    dim = ((months64 + 1).astype("datetime64[D]") - months64.astype("datetime64[D]")).astype(np.int64)
    sal_owner = np.flatnonzero(salary_account)
    employer = pool_pick("companies", len(customers))
    if len(sal_owner):
        grid_owner = np.repeat(sal_owner, cal.n_months)
        grid_month = np.tile(np.arange(cal.n_months), len(sal_owner))
        payday = customers.payday[cust[grid_owner]]
        day = first_days[grid_month] + np.minimum(payday, dim[grid_month]) - 1
        day = cal.roll_back_to_weekday(day)
        ok = (day >= lo[grid_owner]) & (day < hi[grid_owner]) & (day >= 0) & (day < days)
        # a competitor's salary account takes the salary two months before the customer goes; other leavers are
        # paid here until they leave
        stops = np.where(churn_cause[cust[grid_owner]] == CAUSE_SALARY, SALARY_STOPS_DAYS, 0)
        ok &= day < c_day[grid_owner] - stops
        grid_owner, day = grid_owner[ok], day[ok]
        base = inflow[grid_owner] * 0.75 * 30.44
        bonus = (cal.festival_offset()[day] >= -30) & (cal.festival_offset()[day] < 0)
        bonus &= rng.random(len(day)) < 0.6
        amount = base * rng.lognormal(-0.005, 0.1, len(day)) * np.where(bonus, 2.5, 1.0)
        add(grid_owner, day, SAL, NET, CR, np.maximum(np.rint(amount * 100), 100),
            counterparty=employer[cust[grid_owner]], sec=rng.integers(9 * 3600, 11 * 3600, len(day)))
    # Corporate payroll goes out on the 10th.
    pay_owner = np.flatnonzero(corp_demand)
    if len(pay_owner):
        grid_owner = np.repeat(pay_owner, cal.n_months)
        grid_month = np.tile(np.arange(cal.n_months), len(pay_owner))
        day = cal.roll_back_to_weekday(first_days[grid_month] + 9)
        ok = (day >= lo[grid_owner]) & (day < hi[grid_owner]) & (day >= 0) & (day < days)
        grid_owner, day = grid_owner[ok], day[ok]
        bonus = (cal.festival_offset()[day] >= -30) & (cal.festival_offset()[day] < 0)
        add(grid_owner, day, TRO, NET, DF, np.rint(np.where(bonus, 0.24, 0.12) * 1e6 * np.ones(len(day))),
            FEE_CORP_ONLINE, sec=rng.integers(8 * 3600, 9 * 3600, len(day)))

    # Monthly fees: SMS alerts (短信通知费) for some people, account management for companies.
    fee_owner = np.flatnonzero(flow & (kind == K_DEMAND) & (rng.random(m) < np.where(corp, 0.6, 0.25)))
    if len(fee_owner):
        grid_owner = np.repeat(fee_owner, cal.n_months)
        grid_month = np.tile(np.arange(cal.n_months), len(fee_owner))
        day = first_days[grid_month] + 20
        ok = (day >= lo[grid_owner]) & (day < hi[grid_owner]) & (day >= 0) & (day < days)
        ok &= day <= c_day[grid_owner]
        grid_owner, day = grid_owner[ok], day[ok]
        add(grid_owner, day, FEE, NET, DX, np.where(corp[grid_owner], 1000, 200),
            sec=rng.integers(3600, 2 * 3600, len(day)))
    # Wealth products pay the bank a sales and service commission (销售服务费 / 客户维护费) on the amount held, taken
    # from the holding each month: what makes wealth management a fee business rather than a balance-sheet one.
    held = np.flatnonzero(flow & np.isin(kind, [K_WEALTH_OPEN, K_WEALTH_TERM]))
    if len(held):
        grid_owner = np.repeat(held, cal.n_months)
        grid_month = np.tile(np.arange(cal.n_months), len(held))
        day = cal.roll_back_to_weekday(first_days[grid_month] + 24)
        ok = (day >= lo[grid_owner]) & (day < hi[grid_owner]) & (day >= 0) & (day < days)
        ok &= day <= c_day[grid_owner]
        grid_owner, day = grid_owner[ok], day[ok]
        share = WEALTH_FEE_PER_MONTH[accounts.product[grid_owner]]
        add(grid_owner, day, FEE, NET, DF, np.rint(share * 1e6), sec=rng.integers(2 * 3600, 3 * 3600, len(day)))

    # Openings inside the horizon: the first deposit or subscription.
    opening = np.flatnonzero(flow & open_in)
    k = kind[opening]
    term_like = (k == K_TIME) | (k == K_WEALTH_TERM)
    first_amount = np.where(term_like, accounts.principal[opening],
                            np.rint(target[opening] * rng.uniform(0.3, 1.0, len(opening)) * 100))
    wealthy = (k == K_WEALTH_OPEN) | (k == K_WEALTH_TERM)
    add(opening, accounts.open_day[opening], np.where(wealthy, WMB, np.where(rng.random(len(opening)) < 0.4, DEP, TRI)),
        np.where(wealthy, MOB, np.where(corp[opening], CTR, np.where(rng.random(len(opening)) < 0.5, CTR, MOB))),
        CR, np.maximum(first_amount, 100), sec=rng.integers(9 * 3600, 10 * 3600, len(opening)))
    # Closings inside the horizon: whatever is left goes out, at the counter for demand accounts.
    closing = np.flatnonzero(flow & (accounts.close_day < days))
    k = kind[closing]
    wealthy = (k == K_WEALTH_OPEN) | (k == K_WEALTH_TERM)
    add(closing, accounts.close_day[closing], np.where(wealthy, WMR, TRO),
        np.where(k == K_DEMAND, CTR, np.where(wealthy, MOB, NET)), DA, np.zeros(len(closing)),
        sec=rng.integers(16 * 3600, 17 * 3600, len(closing)))

    ev = Events(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in Events.__dataclass_fields__})
    initial = np.where(
        flow & ~open_in,
        np.where((kind == K_TIME) | (kind == K_WEALTH_TERM), accounts.principal,
                 np.rint(target * rng.lognormal(-0.03, 0.25, m) * 100)),
        0,
    ).astype(np.int64)
    failing_from = np.where(churn_cause[cust] == CAUSE_SERVICE, c_day - SERVICE_FAILURE_DAYS, NO_DAY)
    return _post(rng, ev, initial, m, failing_from, c_day)


_TIER_BOUNDS = np.array([1_000_000, 10_000_000, 50_000_000, 100_000_000])  # cents
_TIER_FEES = np.array([200, 500, 1000, 1500, -1])  # -1: 0.002 % capped at 200 CNY


def _fees(amount: np.ndarray, fee_class: np.ndarray) -> np.ndarray:
    """Fee in cents by class: counter transfers 0.5 % (2–50 CNY), corporate transfers by amount tier (twice at the
    counter), fund subscriptions 0.15 %. Written with ``where`` only: it runs inside the scan loop."""
    tier = _TIER_FEES[np.searchsorted(_TIER_BOUNDS, amount, side="left")]
    tier = np.where(tier < 0, np.minimum(np.rint(amount * 0.00002), 20000), tier)
    corp = np.where(fee_class == FEE_CORP_COUNTER, 2 * tier, tier)
    retail = np.clip(np.rint(amount * 0.005), 200, 5000)
    fund = np.rint(amount * 0.0015)
    out = np.where(fee_class == FEE_RETAIL_COUNTER, retail, np.where(fee_class == FEE_FUND, fund, corp))
    return np.where(fee_class == FEE_NONE, 0, out).astype(np.int64)


_ALL = np.int64(2**62)  # "debit all": capped at the balance


def scan_balances(acct: np.ndarray, move: np.ndarray, value: np.ndarray, fee_class: np.ndarray,
                  initial: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Amounts, fees and running balances (cents) of events sorted by account and time.

    Step k applies the k-th event of every account that has one, so the loop runs (most events of one account)
    times, each step vectorised over accounts.
    """
    n_acc = len(initial)
    counts = np.bincount(acct, minlength=n_acc)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(acct)) - starts[acct]
    by_count = np.argsort(-counts, kind="stable")
    pos = np.empty(n_acc, dtype=np.int64)
    pos[by_count] = np.arange(n_acc)
    perm = np.argsort(rank * n_acc + pos[acct], kind="stable")
    desc = counts[by_count]
    steps = int(desc[0]) if n_acc else 0
    active = np.searchsorted(-desc, -np.arange(steps), side="left")
    offsets = np.concatenate([[0], np.cumsum(active)])
    mv = move[perm]
    is_frac = mv == DF
    is_credit = mv == CR
    val = np.where(mv == DA, _ALL, value[perm]).astype(np.int64)
    fval = np.where(is_frac, val, 0).astype(np.float64) * 1e-6
    fc = fee_class[perm]
    # fees known up front (on credits, the amount is given); fees on debit shares are worked out in the loop
    pre_fee = np.zeros(len(acct), dtype=np.int64)
    funded = np.flatnonzero(is_credit & (fc != FEE_NONE))
    pre_fee[funded] = _fees(val[funded], fc[funded])
    loop_fee = is_frac & (fc != FEE_NONE)
    amt = np.zeros(len(acct), dtype=np.int64)
    fee = np.zeros(len(acct), dtype=np.int64)
    bal = np.zeros(len(acct), dtype=np.int64)
    state = initial[by_count].astype(np.int64)
    for k in range(steps):
        a, b = int(offsets[k]), int(offsets[k + 1])
        prev = state[: b - a]
        credit = is_credit[a:b]
        x = np.where(is_frac[a:b], np.rint(fval[a:b] * prev).astype(np.int64), val[a:b])
        x = np.where(credit, x, np.minimum(x, prev))
        f = pre_fee[a:b].copy()
        charged = np.flatnonzero(loop_fee[a:b])
        if len(charged):
            fx = np.minimum(_fees(x[charged], fc[a:b][charged]), prev[charged])
            f[charged] = fx
            x[charged] = np.minimum(x[charged], prev[charged] - fx)
        new = np.where(credit, prev + x - f, prev - x - f)
        state[: b - a] = new
        amt[a:b] = x
        fee[a:b] = f
        bal[a:b] = new
    out_amt = np.empty_like(amt)
    out_fee = np.empty_like(fee)
    out_bal = np.empty_like(bal)
    out_amt[perm], out_fee[perm], out_bal[perm] = amt, fee, bal
    return out_amt, out_fee, out_bal


def time_order(acct: np.ndarray, day: np.ndarray, sec: np.ndarray, last: np.ndarray | None = None) -> np.ndarray:
    """Permutation sorting events by account, day, second (and ``last`` after the rest of its second)."""
    key = (acct.astype(np.int64) * (1 << 20) + (day.astype(np.int64) + 1024)) * 86400 * 2
    key += sec.astype(np.int64) * 2
    if last is not None:
        key = key + last
    return np.argsort(key, kind="stable")


def _post(rng: np.random.Generator, ev: Events, initial: np.ndarray, n_accounts: int, failing_from: np.ndarray,
          c_day: np.ndarray) -> Flows:
    order = time_order(ev.acct, ev.day, ev.sec, ev.move == DA)  # a closing transfer is the day's last
    ev = Events(**{f: getattr(ev, f)[order] for f in Events.__dataclass_fields__})
    amount, fee, balance = scan_balances(ev.acct, ev.move, ev.value, ev.fee_class, initial)
    real = (amount > 0) | (fee > 0)
    keep = {f: getattr(ev, f)[real] for f in Events.__dataclass_fields__}
    amount, fee, balance = amount[real], fee[real], balance[real]
    credit = keep["move"] == CR
    # A few payments are reversed the same day (冲正): the pair nets to zero, the end-of-day balance is untouched.
    tt = keep["txn_type"]
    candidates = np.flatnonzero(np.isin(tt, [PAY, TRO]) & (amount > 0) & (fee == 0))
    # … and many of a service-failure leaver's in the weeks before they go (their payments keep failing)
    acct, day = keep["acct"][candidates], keep["day"][candidates]
    failing = (day >= failing_from[acct]) & (day <= c_day[acct])
    chosen = candidates[rng.random(len(candidates)) < np.where(failing, SERVICE_FAILURE_SHARE, 0.002)]
    n_rev = len(chosen)
    base = len(amount)
    orig_sec = np.minimum(keep["sec"][chosen], 86000)

    def triple(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        return np.concatenate([x, y, z])

    pick = {f: keep[f][chosen] for f in ("acct", "day", "channel", "counterparty")}
    return Flows(
        acct=triple(keep["acct"], pick["acct"], pick["acct"]),
        day=triple(keep["day"], pick["day"], pick["day"]),
        sec=triple(keep["sec"], orig_sec, orig_sec + rng.integers(30, 399, n_rev)),
        txn_type=triple(tt, tt[chosen], tt[chosen]),
        channel=triple(keep["channel"], pick["channel"], pick["channel"]),
        credit=triple(credit, np.zeros(n_rev, dtype=bool), np.ones(n_rev, dtype=bool)),
        amount=triple(amount, amount[chosen], amount[chosen]),
        fee=triple(fee, np.zeros(n_rev, dtype=np.int64), np.zeros(n_rev, dtype=np.int64)),
        balance=triple(balance, balance[chosen] - amount[chosen], balance[chosen]),
        counterparty=triple(keep["counterparty"], pick["counterparty"], pick["counterparty"]),
        reversal_of=triple(np.full(base, -1), np.full(n_rev, -1), base + np.arange(n_rev)),
        paired=np.arange(base + 2 * n_rev) >= base,
        initial=initial,
    )


def end_of_day(acct: np.ndarray, day: np.ndarray, sec: np.ndarray, balance: np.ndarray,
               initial: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(account, day, balance) for every day an account's end-of-day balance differs from the day before."""
    order = time_order(acct, day, sec)
    a, d, b = acct[order], day[order], balance[order]
    last = np.ones(len(a), dtype=bool)
    last[:-1] = (a[1:] != a[:-1]) | (d[1:] != d[:-1])
    a, d, b = a[last], d[last], b[last]
    prev = np.where(np.append(True, a[1:] != a[:-1]), initial[a], np.roll(b, 1))
    changed = b != prev
    return a[changed], d[changed], b[changed]


__all__ = ["NO_DAY", "Flows", "build_flows", "counterparty_pool", "end_of_day", "scan_balances"]
