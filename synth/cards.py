"""The card system (卡系统): its own cardholder records, debit and credit cards, card transactions and monthly
credit card statements.

The card system numbers cardholders itself (card_customer_no). Most are core customers under the same ID type and
number, a few are card-only, a few carry a differently written name or an old phone number. Debit card transactions
mirror the POS and ATM transactions of the linked core account; credit cards spend, take installments and cash
advances, pay (in full, partly or not at all), and are billed monthly with revolving interest at 0.05 % a day.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synth import vocab
from synth.accounts import Accounts
from synth.calendar import Calendar, add_months
from synth.customers import Customers, person_names
from synth.flows import ATM, POS, Counterparties, Flows
from synth.frame import NO_DAY, cents, round_half_up_div
from synth.ids import STR, cat, digits, luhn_numbers, mobile_numbers, resident_ids, text, unique_sequences
from synth.reference import LEVEL_BRANCH, Branches

CARD_TYPES = ["PUR", "CSH", "INS", "REF", "PMT", "AFE", "INT", "IFE", "CFE"]
PUR, CSH, INS, REF, PMT, AFE, INT, IFE, CFE = range(len(CARD_TYPES))
CARD_CHANNELS = ["POS", "ONL", "ATM", "MOB", "SYS"]
C_POS, C_ONL, C_ATM, C_MOB, C_SYS = range(len(CARD_CHANNELS))
TIERS = ["S", "G", "P", "D"]
ANNUAL_FEE = np.array([100_00, 300_00, 1000_00, 5000_00])  # cents
# credit limits by tier (普卡, 金卡, 白金卡, 钻石卡), CNY: a few tens of thousands a card, as in the Chinese market
LIMIT_RANGE = np.array([[5_000, 30_000], [25_000, 60_000], [50_000, 120_000], [120_000, 500_000]])
TIER_SPEND = np.array([1.0, 1.5, 2.5, 4.0])
DAILY_RATE_PPM = 500  # revolving interest 0.05 % a day
INSTALLMENT_FEE_PPM = 6000  # 0.6 % of the installment amount per month
TRANSACTOR, REVOLVER, DELINQUENT = range(3)
DISCOUNT_MCC = {"5411", "5541", "4900", "4111"}


@dataclass
class CardChanges:
    card: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    status: list[np.ndarray] = field(default_factory=list)  # '' unchanged
    expiry_day: list[np.ndarray] = field(default_factory=list)  # -1 unchanged

    def add(self, card: np.ndarray, day: np.ndarray, status: str = "", expiry: np.ndarray | None = None) -> None:
        self.card.append(card.astype(np.int64))
        self.day.append(day.astype(np.int64))
        self.status.append(np.full(len(card), status, dtype=STR))
        self.expiry_day.append(np.full(len(card), -1, dtype=np.int64) if expiry is None else expiry.astype(np.int64))

    def arrays(self) -> dict[str, np.ndarray]:
        if not self.card:
            e = np.array([], dtype=np.int64)
            return {"card": e, "day": e, "status": np.array([], dtype=STR), "expiry_day": e}
        return {"card": np.concatenate(self.card), "day": np.concatenate(self.day),
                "status": np.concatenate(self.status), "expiry_day": np.concatenate(self.expiry_day)}


@dataclass
class CardSystem:
    # cardholders (card system's own customer records)
    holder_no: np.ndarray
    holder_cust: np.ndarray  # index into Customers, -1 for card-only holders
    holder_id_type: np.ndarray
    holder_id_number: np.ndarray
    holder_name: np.ndarray
    holder_mobile: np.ndarray
    # cards
    holder: np.ndarray
    credit: np.ndarray
    card_no: np.ndarray
    tier: np.ndarray
    limit: np.ndarray  # cents
    linked_acct: np.ndarray  # -1 none
    branch: np.ndarray
    open_day: np.ndarray
    expiry_day: np.ndarray
    close_day: np.ndarray
    annual_fee: np.ndarray
    first_update_day: np.ndarray
    changes: CardChanges
    # transactions
    t_card: np.ndarray
    t_day: np.ndarray
    t_sec: np.ndarray
    t_type: np.ndarray
    t_channel: np.ndarray
    t_merchant: np.ndarray  # index into the counterparty pool, -1 none
    t_amount: np.ndarray
    t_interchange: np.ndarray
    t_installments: np.ndarray  # 0 none
    t_reversal: np.ndarray
    # statements
    s_card: np.ndarray
    s_day: np.ndarray
    s_opening: np.ndarray
    s_purchases: np.ndarray
    s_cash: np.ndarray
    s_payments: np.ndarray
    s_interest: np.ndarray
    s_fees: np.ndarray
    s_closing: np.ndarray
    s_minimum: np.ndarray
    s_revolving: np.ndarray
    s_dpd: np.ndarray


def _holders(rng: np.random.Generator, customers: Customers, accounts: Accounts) -> tuple[np.ndarray, np.ndarray, int]:
    """Which customers hold cards: (debit-card accounts, credit-card customers, card-only holder count)."""
    debit_accts = np.flatnonzero(accounts.debit_card)
    personal = ~customers.corporate & ~customers.dormant
    p_credit = 0.22 + 0.3 * customers.wealth_rank
    credit_cust = np.flatnonzero(personal & (rng.random(len(customers)) < p_credit))
    n_only = max(1, round(0.03 * len(credit_cust)))
    return debit_accts, credit_cust, n_only


def build_cards(rng: np.random.Generator, cal: Calendar, customers: Customers, accounts: Accounts,
                branches: Branches, flows: Flows, parties: Counterparties, churn_day: np.ndarray,
                churn_closed: np.ndarray) -> CardSystem:
    debit_accts, credit_cust, n_only = _holders(rng, customers, accounts)
    # --- cardholders ------------------------------------------------------------------------------------------------
    core_holders = np.union1d(accounts.cust[debit_accts], credit_cust)
    n_core = len(core_holders)
    only_city = rng.integers(0, len(vocab.CITIES), n_only)
    area = np.array([int(c[1]) for c in vocab.CITIES])[only_city]
    birth = (19600101 + rng.integers(0, 40, n_only) * 10000 + rng.integers(0, 12, n_only) * 100
             + rng.integers(0, 28, n_only))
    seq = unique_sequences(rng, area * 100_000_000 + birth, 1000) if n_only else np.array([], dtype=np.int64)
    only_ids = resident_ids(area, birth, seq)
    taken = set(customers.id_number.tolist())
    clash = np.array([i in taken for i in only_ids.tolist()], dtype=bool) if n_only else np.array([], dtype=bool)
    only_ids = only_ids[~clash]
    n_only = len(only_ids)
    holder_cust = np.concatenate([core_holders, np.full(n_only, -1)])
    n_holders = len(holder_cust)
    core = holder_cust >= 0
    name = np.empty(n_holders, dtype=STR)
    name[core] = customers.name[core_holders]
    name[~core] = person_names(rng, n_only)
    # A few names are written differently in the card system (a variant character, a typo).
    conflict = core & (rng.random(n_holders) < 0.015)
    given = text(vocab.GIVEN_CHARS)
    replacement = given[rng.integers(0, len(given), int(conflict.sum()))]
    trimmed = np.strings.slice(name[conflict], 0, np.strings.str_len(name[conflict]) - 1)
    name[conflict] = cat(trimmed, replacement)
    same = name[conflict] == customers.name[holder_cust[conflict]]
    name[np.flatnonzero(conflict)[same]] = cat(name[np.flatnonzero(conflict)[same]], "华")
    mobile = np.empty(n_holders, dtype=STR)
    mobile[core] = customers.mobile[core_holders]
    stale = core & (rng.random(n_holders) < 0.08)
    mobile[stale | ~core] = mobile_numbers(rng, int((stale | ~core).sum()))
    id_type = np.concatenate([customers.id_type[core_holders], np.full(n_only, "01", dtype=STR)]).astype(STR)
    id_number = np.concatenate([customers.id_number[core_holders], only_ids]).astype(STR)
    holder_no = cat("8800", digits(rng.permutation(n_holders) * 37 + rng.integers(0, 37, n_holders) + 10**10, 12))
    holder_of_cust = np.full(len(customers), -1)
    holder_of_cust[core_holders] = np.arange(n_core)

    # --- cards ------------------------------------------------------------------------------------------------------
    d_holder = holder_of_cust[accounts.cust[debit_accts]]
    d_open = np.maximum(accounts.open_day[debit_accts], -rng.integers(0, 3650, len(debit_accts)))
    d_open = np.maximum(d_open, accounts.open_day[debit_accts])
    d_tier = np.where(customers.wealth_rank[accounts.cust[debit_accts]] > 0.9, 1, 0)
    n_second = rng.random(len(credit_cust)) < 0.2
    c_cust = np.concatenate([credit_cust, credit_cust[n_second]])
    c_holder = np.concatenate([holder_of_cust[c_cust], np.arange(n_core, n_holders)])
    c_rank = np.concatenate([customers.wealth_rank[c_cust], rng.random(n_only) * 0.8])
    c_tier = np.digitize(c_rank, [0.6, 0.9, 0.99])
    c_tier[len(credit_cust):len(c_cust)] = np.minimum(c_tier[len(credit_cust):len(c_cust)] + 1, 3)
    n_credit = len(c_holder)
    c_cust_all = np.concatenate([c_cust, np.full(n_only, -1)])
    cust_open = np.where(c_cust_all >= 0, customers.open_day[np.maximum(c_cust_all, 0)], -3000)
    c_open = np.maximum(cust_open + rng.integers(0, 120, n_credit), -rng.integers(1, 6 * 365, n_credit))
    new_cust = cust_open >= 0
    c_open[new_cust] = cust_open[new_cust] + rng.integers(3, 90, int(new_cust.sum()))
    c_open[n_credit - n_only:] = np.where(rng.random(n_only) < 0.15, rng.integers(0, max(cal.days, 1), n_only),
                                          -rng.integers(1, 5 * 365, n_only))
    lo, hi = LIMIT_RANGE[c_tier, 0], LIMIT_RANGE[c_tier, 1]
    limit = (np.round(rng.uniform(lo, hi) / 1000) * 1000 * 100).astype(np.int64)

    holder = np.concatenate([d_holder, c_holder])
    credit = np.concatenate([np.zeros(len(debit_accts), dtype=bool), np.ones(n_credit, dtype=bool)])
    tier = np.concatenate([d_tier, c_tier])
    open_day = np.concatenate([d_open, c_open]).astype(np.int64)
    keep = open_day < cal.days
    n_cards = len(holder)
    linked = np.concatenate([debit_accts, np.full(n_credit, -1)])
    cust_of_card = np.concatenate([accounts.cust[debit_accts], c_cust_all])
    outlets = branches.of_level(LEVEL_BRANCH)
    branch = np.where(linked >= 0, accounts.branch[np.maximum(linked, 0)],
                      np.where(cust_of_card >= 0, customers.home_branch[np.maximum(cust_of_card, 0)],
                               rng.choice(outlets, size=n_cards)))
    years = np.where(credit, 5, 10)
    expiry = cal.day_index(add_months(cal.to_dates64(open_day), 12 * years))
    annual_fee = np.where(credit, ANNUAL_FEE[tier], np.where(rng.random(n_cards) < 0.2, 10_00, 0))
    order = np.flatnonzero(keep)
    holder, credit, tier, open_day, linked, branch, expiry, annual_fee, cust_of_card = (
        x[order] for x in (holder, credit, tier, open_day, linked, branch, expiry, annual_fee, cust_of_card))
    limit = np.where(credit, np.concatenate([np.zeros(len(debit_accts), dtype=np.int64), limit])[order], 0)
    n_cards = len(holder)
    serial = rng.permutation(n_cards) + 10_000_000
    card_no = np.where(credit, luhn_numbers("628366", serial, 16), luhn_numbers("623066", serial, 16)).astype(STR)

    # --- lifecycle: renewals, churners' cancellations -----------------------------------------------------------------
    changes = CardChanges()
    close_day = np.full(n_cards, NO_DAY)
    renew = (expiry >= 1) & (expiry < cal.days)
    changes.add(np.flatnonzero(renew), expiry[renew], expiry=expiry[renew] + 5 * 365)
    c_day = np.where(cust_of_card >= 0, churn_day[np.maximum(cust_of_card, 0)], NO_DAY)
    cancel = (c_day < cal.days) & (cust_of_card >= 0) & churn_closed[np.maximum(cust_of_card, 0)]
    cancel &= c_day > np.maximum(open_day, 0)
    close_day[cancel] = c_day[cancel]
    linked_close = (linked >= 0) & (accounts.close_day[np.maximum(linked, 0)] < cal.days)
    close_day[linked_close] = np.minimum(close_day[linked_close], accounts.close_day[linked[linked_close]])
    closing = close_day < cal.days
    changes.add(np.flatnonzero(closing), close_day[closing], status="C")
    first_update = np.minimum(np.maximum(open_day, -rng.integers(0, 400, n_cards)), np.maximum(open_day, 0))
    first_update = np.maximum(first_update, open_day)

    system = CardSystem(
        holder_no=holder_no, holder_cust=holder_cust, holder_id_type=id_type, holder_id_number=id_number,
        holder_name=name, holder_mobile=mobile, holder=holder, credit=credit, card_no=card_no, tier=tier,
        limit=limit, linked_acct=linked, branch=branch, open_day=open_day, expiry_day=expiry, close_day=close_day,
        annual_fee=annual_fee, first_update_day=first_update, changes=changes,
        t_card=np.array([], dtype=np.int64), t_day=np.array([], dtype=np.int64), t_sec=np.array([], dtype=np.int64),
        t_type=np.array([], dtype=np.int64), t_channel=np.array([], dtype=np.int64),
        t_merchant=np.array([], dtype=np.int64), t_amount=np.array([], dtype=np.int64),
        t_interchange=np.array([], dtype=np.int64), t_installments=np.array([], dtype=np.int64),
        t_reversal=np.array([], dtype=bool),
        s_card=np.array([], dtype=np.int64), s_day=np.array([], dtype=np.int64),
        s_opening=np.array([], dtype=np.int64), s_purchases=np.array([], dtype=np.int64),
        s_cash=np.array([], dtype=np.int64), s_payments=np.array([], dtype=np.int64),
        s_interest=np.array([], dtype=np.int64), s_fees=np.array([], dtype=np.int64),
        s_closing=np.array([], dtype=np.int64), s_minimum=np.array([], dtype=np.int64),
        s_revolving=np.array([], dtype=np.int64), s_dpd=np.array([], dtype=np.int64),
    )
    _transactions(rng, cal, system, accounts, flows, parties, c_day, cust_of_card)
    return system


def _interchange(amount: np.ndarray, ppm: np.ndarray, cap: np.ndarray) -> np.ndarray:
    fee = round_half_up_div(amount * ppm, 1_000_000)
    return np.where(cap > 0, np.minimum(fee, cap), fee)


def _transactions(rng: np.random.Generator, cal: Calendar, cs: CardSystem, accounts: Accounts, flows: Flows,
                  parties: Counterparties, churn_day: np.ndarray, cust_of_card: np.ndarray) -> None:
    days = cal.days
    merchants = parties.slices["merchants"]
    shares = np.array([m[3] for m in vocab.MERCHANTS])
    typical = np.array([m[2] for m in vocab.MERCHANTS])
    discount = np.array([m[0] in DISCOUNT_MCC for m in vocab.MERCHANTS])

    def merchant_for(cat_idx: np.ndarray) -> np.ndarray:
        # merchants are stored 25 per category, in category order
        return merchants.start + cat_idx * 25 + rng.integers(0, 25, len(cat_idx))

    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("card", "day", "sec", "type", "ch", "merch", "amt", "ic",
                                                            "inst", "rev")}

    def add(card: np.ndarray, day: np.ndarray, sec: np.ndarray, ttype: np.ndarray | int, ch: np.ndarray | int,
            merch: np.ndarray | int, amt: np.ndarray, ic: np.ndarray | int = 0, inst: np.ndarray | int = 0,
            rev: np.ndarray | bool = False) -> None:
        k = len(card)
        parts["card"].append(card.astype(np.int64))
        parts["day"].append(day.astype(np.int64))
        parts["sec"].append(np.asarray(sec, dtype=np.int64))
        for key, val, dt in (("type", ttype, np.int64), ("ch", ch, np.int64), ("merch", merch, np.int64),
                             ("ic", ic, np.int64), ("inst", inst, np.int64), ("rev", rev, bool)):
            parts[key].append(np.broadcast_to(np.asarray(val, dtype=dt), (k,)).copy())
        parts["amt"].append(amt.astype(np.int64))

    # --- debit cards: the core POS and ATM transactions of the linked account ------------------------------------
    card_of_acct = np.full(len(accounts), -1)
    debit = np.flatnonzero(~cs.credit)
    card_of_acct[cs.linked_acct[debit]] = debit
    mirror = np.flatnonzero(np.isin(flows.channel, [POS, ATM]) & (card_of_acct[flows.acct] >= 0))
    mcard = card_of_acct[flows.acct[mirror]]
    alive = (flows.day[mirror] >= np.maximum(cs.open_day[mcard], 0)) & (flows.day[mirror] < cs.close_day[mcard])
    mirror, mcard = mirror[alive], mcard[alive]
    is_pos = flows.channel[mirror] == POS
    merch = np.where(is_pos, np.where(flows.counterparty[mirror] >= merchants.start, flows.counterparty[mirror],
                                      merchant_for(rng.choice(len(shares), size=len(mirror), p=shares))), -1)
    amt = flows.amount[mirror]
    ppm = np.full(len(amt), 3500)  # debit interchange 0.35 %, capped at 13 CNY
    is_rev = np.zeros(len(mirror), dtype=bool)
    is_rev[flows.reversal_of[mirror] >= 0] = True
    add(mcard, flows.day[mirror], flows.sec[mirror], np.where(is_pos, PUR, CSH), np.where(is_pos, C_POS, C_ATM),
        merch, amt, np.where(is_pos, _interchange(amt, ppm, np.full(len(amt), 13_00)), 0), rev=is_rev)

    # --- credit cards ----------------------------------------------------------------------------------------------
    credit = np.flatnonzero(cs.credit)
    nc = len(credit)
    behaviour = rng.choice(3, size=nc, p=[0.56, 0.41, 0.03])  # about 3 % of cards go bad in a year
    active = rng.random(nc) < 0.8
    lam = np.where(active, 0.3 * rng.lognormal(-0.18, 0.6, nc), 0.0)
    lo = np.maximum(cs.open_day[credit], 0)
    hi = np.minimum(cs.close_day[credit], days)
    # delinquent cards stop paying from some statement on and are frozen 30 days after the first missed due date
    month_ends = cal.month_end_days()
    n_st = len(month_ends)
    miss_from = np.where((behaviour == DELINQUENT) & (n_st > 1), rng.integers(0, max(n_st - 1, 1), nc), 10**6)
    # a card cannot miss a payment, nor be frozen, before it exists: the first missed statement is one after opening
    miss_from = np.maximum(miss_from, np.searchsorted(month_ends, lo))
    freeze = np.full(nc, NO_DAY)
    has_miss = miss_from < n_st
    freeze[has_miss] = month_ends[miss_from[has_miss]] + 20 + 30
    freeze = np.where(freeze < hi, freeze, NO_DAY)
    frozen = np.flatnonzero(freeze < days)
    cs.changes.add(credit[frozen], freeze[frozen], status="F")
    hi = np.minimum(hi, freeze)
    c_day = churn_day[credit]
    w = cal.card_activity()
    w = w / w.mean()
    counts = rng.poisson(lam * days)
    owner = np.repeat(np.arange(nc), counts)
    day = rng.choice(days, size=len(owner), p=w / w.sum())
    progress = np.clip((day - (c_day[owner] - 90)) / 90, 0, 1)
    ok = (day >= lo[owner]) & (day < hi[owner]) & (rng.random(len(owner)) >= 0.8 * progress)
    owner, day = owner[ok], day[ok]
    k = len(owner)
    cat_idx = rng.choice(len(shares), size=k, p=shares)
    spend = typical[cat_idx] * TIER_SPEND[cs.tier[credit[owner]]] * rng.lognormal(-0.32, 0.8, k)
    amount = np.maximum(cents(spend), 100)
    r = rng.random(k)
    ttype = np.where(r < 0.008, CSH, PUR)
    ttype = np.where((ttype == PUR) & (amount >= 100_000) & (rng.random(k) < 0.12), INS, ttype)
    amount = np.where(ttype == CSH, rng.integers(5, 50, k) * 10_000, amount)
    ch = np.where(ttype == CSH, C_ATM, rng.choice([C_POS, C_ONL, C_MOB], size=k, p=[0.5, 0.35, 0.15]))
    merch = np.where(ttype == CSH, -1, merchant_for(cat_idx))
    inst = np.where(ttype == INS, rng.choice([3, 6, 12, 24], size=k, p=[0.3, 0.35, 0.25, 0.1]), 0)
    sec = np.clip(rng.normal(15 * 3600, 4 * 3600, k), 0, 86000).astype(np.int64)
    ppm = np.where(discount[cat_idx], 3500, 5500)
    ic = np.where(ttype == CSH, 0, _interchange(amount, ppm, np.zeros(k, dtype=np.int64)))
    card = credit[owner]
    add(card, day, sec, ttype, ch, merch, amount, ic, inst)
    # cash advance fee (取现手续费): 1 %, at least 10 CNY
    cash = ttype == CSH
    add(card[cash], day[cash], sec[cash] + 60, CFE, C_SYS, -1,
        np.maximum(round_half_up_div(amount[cash] * 10_000, 1_000_000), 10_00))
    # same-day reversals of a few purchases, refunds of a few more some days later
    rev = (ttype == PUR) & (rng.random(k) < 0.002)
    add(card[rev], day[rev], sec[rev] + rng.integers(60, 600, int(rev.sum())), PUR, ch[rev], merch[rev],
        amount[rev], ic[rev], rev=True)
    ref = (ttype == PUR) & (rng.random(k) < 0.01)
    ref_day = day[ref] + rng.integers(1, 20, int(ref.sum()))
    ok = (ref_day < hi[owner[ref]])
    ref_amt = np.maximum(cents(amount[ref] / 100 * rng.uniform(0.3, 1.0, int(ref.sum()))), 100)
    add(card[ref][ok], ref_day[ok], rng.integers(9 * 3600, 21 * 3600, int(ok.sum())), REF, ch[ref][ok],
        merch[ref][ok], np.minimum(ref_amt, amount[ref])[ok])
    # annual fees on the card's anniversary, waived for cards used at least six times a year (standard and gold)
    open64 = cal.to_dates64(cs.open_day[credit])
    for y in range(0, 3):
        back = np.maximum((0 - cs.open_day[credit]) // 365, 0)
        anniv = cal.day_index(add_months(open64, 12 * (back + y)))
        waived = (cs.tier[credit] <= 1) & (lam * 365 >= 6)
        due = (anniv >= lo) & (anniv < hi) & (anniv > cs.open_day[credit]) & ~waived & (cs.annual_fee[credit] > 0)
        due &= anniv < days
        add(credit[due], anniv[due], np.full(int(due.sum()), 7200), AFE, C_SYS, -1, cs.annual_fee[credit][due])

    tx = {key: np.concatenate(v) if v else np.array([], dtype=np.int64) for key, v in parts.items()}
    _statements(rng, cal, cs, tx, credit, behaviour, miss_from)


def _sum_by(cycle: tuple[np.ndarray, np.ndarray, np.ndarray], types: list[int], n: int) -> np.ndarray:
    rows, ttype, amount = cycle
    sel = np.isin(ttype, types)
    return np.rint(np.bincount(rows[sel], weights=amount[sel], minlength=n)).astype(np.int64)


def _statements(rng: np.random.Generator, cal: Calendar, cs: CardSystem, tx: dict[str, np.ndarray],
                credit: np.ndarray, behaviour: np.ndarray, miss_from: np.ndarray) -> None:
    """Monthly statements (statement date = last day of the month, due 20 days later), with the payments, installment
    fees and revolving interest they imply, posted as card transactions."""
    month_ends = cal.month_end_days()
    nc = len(credit)
    row_of = np.full(len(cs.card_no), -1)
    row_of[credit] = np.arange(nc)
    # balance owed at the last statement before the horizon: about a month of spending (more for revolvers)
    is_credit_tx = row_of[tx["card"]] >= 0
    per_card_spend = np.bincount(row_of[tx["card"][is_credit_tx]], weights=tx["amt"][is_credit_tx], minlength=nc)
    monthly = per_card_spend / max(cal.days, 1) * 30.4
    existing = cs.open_day[credit] < 0
    prior = np.where(existing, cents(monthly / 100 * np.where(behaviour == TRANSACTOR, 1.0, 2.2)), 0)
    prior_min = np.where(prior <= 10_000, prior, np.maximum(10_000, round_half_up_div(prior, 10)))
    prev_close = np.asarray(prior, dtype=np.int64)
    prev_min = prior_min.astype(np.int64)
    prev_stmt_day = np.full(nc, -int(cal.day_of_month[0]))  # the last day of the month before the horizon
    missed = np.zeros(nc, dtype=np.int64)
    due_days: list[np.ndarray] = []
    extra: dict[str, list[np.ndarray]] = {k: [] for k in tx}

    def post(card: np.ndarray, day: np.ndarray, sec: np.ndarray | int, ttype: int, ch: np.ndarray | int,
             amt: np.ndarray) -> None:
        k = len(card)
        extra["card"].append(card)
        extra["day"].append(day)
        extra["sec"].append(np.broadcast_to(np.asarray(sec, dtype=np.int64), (k,)).copy())
        extra["type"].append(np.full(k, ttype, dtype=np.int64))
        extra["ch"].append(np.broadcast_to(np.asarray(ch, dtype=np.int64), (k,)).copy())
        extra["merch"].append(np.full(k, -1, dtype=np.int64))
        extra["amt"].append(amt.astype(np.int64))
        extra["ic"].append(np.zeros(k, dtype=np.int64))
        extra["inst"].append(np.zeros(k, dtype=np.int64))
        extra["rev"].append(np.zeros(k, dtype=bool))

    # installment fees: 0.6 % a month of each installment purchase, billed for its term
    ins = np.flatnonzero(tx["type"] == INS)
    ins_month = cal.month_id[tx["day"][ins]]
    ins_fee = round_half_up_div(tx["amt"][ins] * INSTALLMENT_FEE_PPM, 1_000_000)
    tx_month = cal.month_id[tx["day"]] if len(tx["day"]) else np.array([], dtype=np.int64)
    tx_row = row_of[tx["card"]]
    s_cols: dict[str, list[np.ndarray]] = {k: [] for k in ("card", "day", "opening", "purchases", "cash", "payments",
                                                            "interest", "fees", "closing", "minimum", "revolving",
                                                            "dpd")}
    sign = np.where(tx["rev"], -1, 1)
    for m, stmt_day in enumerate(month_ends):
        mid = int(cal.month_id[stmt_day])
        alive = (cs.open_day[credit] <= stmt_day) & (np.minimum(cs.close_day[credit], cal.days) > prev_stmt_day)
        # payments on the previous statement, between its 5th and 20th day after
        due_prev = prev_stmt_day + 20
        # transactors pay in full; revolvers between the minimum and 60 %, enough to stay within 80 % of the limit
        partial = np.maximum(prev_min, cents(prev_close / 100 * rng.uniform(0.1, 0.6, nc)))
        partial = np.maximum(partial, prev_close - cs.limit[credit] * 8 // 10)
        behave_pay = np.where(behaviour == TRANSACTOR, prev_close, partial)
        behave_pay = np.where((behaviour == DELINQUENT) & (m >= miss_from), 0, behave_pay)
        behave_pay = np.where(prev_close > 0, np.minimum(behave_pay, prev_close), 0)
        pay_day = prev_stmt_day + rng.integers(5, 21, nc)
        pay_day = np.maximum(pay_day, np.maximum(cs.open_day[credit], 0))
        paying = alive & (behave_pay > 0) & (pay_day <= stmt_day) & (pay_day < cal.days)
        auto = rng.random(nc) < 0.4
        pay_sec = np.where(auto, 6 * 3600, rng.integers(8 * 3600, 22 * 3600, nc))
        post(credit[paying], pay_day[paying], pay_sec[paying], PMT, np.where(auto[paying], C_SYS, C_MOB),
             behave_pay[paying])
        payments = np.where(paying, behave_pay, 0)
        # installment fees and revolving interest are posted on the statement day
        active_ins = (ins_month <= mid) & (mid < ins_month + tx["inst"][ins])
        ins_rows = row_of[tx["card"][ins[active_ins]]]
        ifee = np.bincount(ins_rows, weights=ins_fee[active_ins], minlength=nc).astype(np.int64)
        ifee = np.where(alive, ifee, 0)
        post(credit[ifee > 0], np.full(int((ifee > 0).sum()), stmt_day), 82800, IFE, C_SYS, ifee[ifee > 0])
        revolving = np.where(alive, np.maximum(prev_close - payments, 0), 0)
        cycle_days = stmt_day - prev_stmt_day
        interest = round_half_up_div(revolving * DAILY_RATE_PPM * cycle_days, 1_000_000)
        post(credit[interest > 0], np.full(int((interest > 0).sum()), stmt_day), 84600, INT, C_SYS,
             interest[interest > 0])
        # sums over this cycle's transactions
        in_cycle = np.flatnonzero((tx_month == mid) & (tx_row >= 0))
        cycle = (tx_row[in_cycle], tx["type"][in_cycle], tx["amt"][in_cycle] * sign[in_cycle])
        purchases = _sum_by(cycle, [PUR, INS], nc) - _sum_by(cycle, [REF], nc)
        cash_adv = _sum_by(cycle, [CSH], nc)
        fees = _sum_by(cycle, [AFE, CFE], nc) + ifee
        closing = prev_close + purchases + cash_adv - payments + interest + fees
        minimum = np.where(closing <= 0, 0, np.where(closing <= 10_000, closing,
                                                      np.maximum(10_000, round_half_up_div(closing, 10))))
        short = alive & (prev_min > 0) & (payments < prev_min)
        missed = np.where(short, missed + 1, np.where(alive, 0, missed))
        due_days.append(due_prev)
        which = np.clip(len(due_days) - missed, 0, len(due_days) - 1)
        oldest_due = np.where(missed > 0, np.stack(due_days)[which, np.arange(nc)], stmt_day)
        dpd = np.where(missed > 0, stmt_day - oldest_due, 0)
        show = alive & ((prev_close != 0) | (closing != 0) | (purchases != 0) | (cash_adv != 0) | (payments != 0)
                        | (fees != 0))
        for key, val in (("card", credit), ("day", np.full(nc, stmt_day)), ("opening", prev_close),
                         ("purchases", purchases), ("cash", cash_adv), ("payments", payments), ("interest", interest),
                         ("fees", fees), ("closing", closing), ("minimum", minimum), ("revolving", revolving),
                         ("dpd", dpd)):
            s_cols[key].append(val[show])
        prev_close = np.where(alive, closing, prev_close)
        prev_min = np.where(alive, minimum, prev_min)
        prev_stmt_day = np.full(nc, stmt_day)

    for key in tx:
        if extra[key]:
            tx[key] = np.concatenate([tx[key], *extra[key]])
    order = np.lexsort((tx["sec"], tx["card"], tx["day"]))
    cs.t_card, cs.t_day, cs.t_sec = tx["card"][order], tx["day"][order], tx["sec"][order]
    cs.t_type, cs.t_channel, cs.t_merchant = tx["type"][order], tx["ch"][order], tx["merch"][order]
    cs.t_amount, cs.t_interchange = tx["amt"][order], tx["ic"][order]
    cs.t_installments, cs.t_reversal = tx["inst"][order], tx["rev"][order]
    empty = np.array([], dtype=np.int64)
    cat_cols = {k: np.concatenate(v) if v else empty for k, v in s_cols.items()}
    cs.s_card, cs.s_day, cs.s_opening = cat_cols["card"], cat_cols["day"], cat_cols["opening"]
    cs.s_purchases, cs.s_cash, cs.s_payments = cat_cols["purchases"], cat_cols["cash"], cat_cols["payments"]
    cs.s_interest, cs.s_fees, cs.s_closing = cat_cols["interest"], cat_cols["fees"], cat_cols["closing"]
    cs.s_minimum, cs.s_revolving, cs.s_dpd = cat_cols["minimum"], cat_cols["revolving"], cat_cols["dpd"]
