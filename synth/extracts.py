"""Shape the synthetic bank into one DuckDB table per extract contract: the contract's columns plus ``biz_date``
(the business date the row is delivered on) and ``_ord`` (the row order within a file)."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np

from synth.calendar import Calendar
from synth.cards import CARD_CHANNELS, CARD_TYPES, TIERS
from synth.customers import RATINGS, Customers
from synth.daily import FIVE_CLASSES, EndOfDay, Segments, accruals, balance_rows, loan_days
from synth.flows import CHANNELS, CTR, LDS, LRP, MOB, NET, TXN_TYPES, WOF, end_of_day
from synth.frame import NO_DAY, install_macros, register
from synth.ids import STR, text
from synth.loans import COLLATERAL_CODES, EV_DISBURSAL, EV_WRITE_OFF, METHOD_CODES
from synth.reference import (
    CARD_PRODUCT_BY_TIER,
    CURRENCIES,
    FTP_DAY_COUNT,
    K_DEMAND,
    K_LOAN,
    K_TIME,
    LEVEL_CODES,
    PRODUCT_INDEX,
    PRODUCTS,
    chart_table,
    cost_centre_table,
)
from synth.world import World

SOURCE = "src_{system}__{extract}"


def source_table(system: str, extract: str) -> str:
    return SOURCE.format(system=system, extract=extract)


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def register_world(con: duckdb.DuckDBPyConnection, world: World) -> None:
    """Every numpy table of the world as a DuckDB table (see frame.py for the conventions)."""
    cal = world.cal
    install_macros(con, cal.start)
    register(con, "days_t", {
        "day": np.arange(cal.days), "month_id": cal.month_id, "month_end": cal.month_end,
        "yyyymmdd": cal.yyyymmdd, "first_of_month": cal.day_index(cal.dates.astype("datetime64[M]")
                                                                  .astype("datetime64[D]")),
    })
    register(con, "months_t", {"month_id": np.arange(cal.n_months), "first_day": cal.month_first_day,
                               "last_day": cal.month_last_day})
    b = world.branches
    register(con, "branches_t", {
        "idx": np.arange(len(b)), "branch_code": b.code, "branch_name": b.name,
        "branch_level": text(LEVEL_CODES)[b.level],
        "parent_branch_code": np.where(b.parent >= 0, b.code[np.maximum(b.parent, 0)], "").astype(STR),
        "city": b.city, "open_day": b.open_day,
    })
    register(con, "products_t", {
        "idx": np.arange(len(PRODUCTS)), "product_code": text([p.code for p in PRODUCTS]),
        "product_name": text([p.name for p in PRODUCTS]), "category_code": text([p.category_code for p in PRODUCTS]),
        "category_name": text([p.category_name for p in PRODUCTS]), "product_line": text([p.line for p in PRODUCTS]),
        "balance_side": text([p.side for p in PRODUCTS]), "customer_type": text([p.customer_type for p in PRODUCTS]),
        "is_term": text(["Y" if p.term_months else "N" for p in PRODUCTS]),
        "term_months": np.array([p.term_months or -1 for p in PRODUCTS]),
        "base_rate": np.array([int(p.base_rate.replace(".", "")) for p in PRODUCTS]),
        "follows_cut": np.array([p.kind in (1, 4) for p in PRODUCTS]),
        "gl_interest_account": text([p.gl_interest or "" for p in PRODUCTS]),
        "gl_fee_account": text([p.gl_fee or "" for p in PRODUCTS]),
        "gl_balance_account": text([p.gl_balance or "" for p in PRODUCTS]),
    })
    register(con, "cut_t", {"day": np.arange(cal.days), "cut": world.rates.list_cut})
    mg = world.managers
    register(con, "rm_t", {
        "idx": np.arange(len(mg)), "rm_id": mg.rm_id, "rm_name": mg.name, "branch_code": b.code[mg.branch],
        "rm_type": np.where(mg.corporate, "C", "P").astype(STR), "rm_grade": mg.grade, "hire_day": mg.hire_day,
        "leave_day": mg.leave_day,
    })
    r = world.rates
    n_c, n_d, n_t = r.ftp.shape
    register(con, "ftp_t", {
        "currency": np.repeat(text(r.ftp_currencies), n_d * n_t),
        "currency_idx": np.repeat(np.arange(n_c), n_d * n_t),
        "day": np.tile(np.repeat(np.arange(r.ftp_first_day, r.ftp_first_day + n_d), n_t), n_c),
        "tenor_idx": np.tile(np.arange(n_t), n_c * n_d), "tenor": np.tile(text(r.ftp_tenors), n_c * n_d),
        "term_months": np.tile(r.ftp_terms, n_c * n_d), "rate": r.ftp.reshape(-1),
    })
    register(con, "fx_t", {
        "day": np.repeat(np.arange(cal.days), len(CURRENCIES)),
        "currency": np.tile(text(CURRENCIES), cal.days), "rate": r.fx.reshape(-1),
    })
    _register_customers(con, world)
    _register_accounts(con, world)
    _register_core_activity(con, world)
    _register_cards(con, world)
    register(con, "chart_t", chart_table())
    register(con, "cc_t", {**cost_centre_table(world.cost_centres, b), "idx": np.arange(len(world.cost_centres)),
                           "branch_idx": world.cost_centres.branch})


# Enterprise size class (企业规模) of corporates by their rank in size within the bank's corporate book: large,
# medium, small, micro from the top.
ENTERPRISE_SCALE_FROM_RANK = ((0.92, "1"), (0.65, "2"), (0.25, "3"), (0.0, "4"))


def _enterprise_scale(c: Customers) -> np.ndarray:
    code = np.select([c.wealth_rank >= lo for lo, _ in ENTERPRISE_SCALE_FROM_RANK],
                     [k for _, k in ENTERPRISE_SCALE_FROM_RANK], "")
    return np.where(c.corporate, code, "").astype(STR)


def _register_customers(con: duckdb.DuckDBPyConnection, world: World) -> None:
    c = world.customers
    register(con, "cust_t", {
        "idx": np.arange(len(c)), "cif_no": c.cif_no, "customer_type": np.where(c.corporate, "C", "P").astype(STR),
        "customer_name": c.name, "id_type": c.id_type, "id_number": c.id_number, "gender": c.gender,
        "birth_day": c.birth_day, "industry_code": c.industry, "enterprise_scale": _enterprise_scale(c),
        "group_code": c.group_code,
        "household_code": c.household_code, "home_branch_code": world.branches.code[c.home_branch],
        "rm_idx": world.rm_assignment.initial, "rating_idx": world.initial_rating,
        "status": np.where(c.dormant, "1", "0").astype(STR), "open_day": c.open_day,
        "first_update_day": c.first_update_day, "mobile_phone": c.mobile, "address": c.address,
    })
    sh = world.rm_shares
    register(con, "share_t", {"cust": sh.cust, "co_rm": sh.co_rm, "share": sh.share, "start_day": sh.start_day})
    ch = world.customer_changes
    register(con, "cust_chg_t", {"cust": ch.cust, "day": ch.day, "rm": ch.rm, "rating": ch.rating,
                                 "status": ch.status, "close_day": ch.close_day, "mobile": ch.mobile})


def _register_accounts(con: duckdb.DuckDBPyConnection, world: World) -> None:
    a = world.accounts
    c = world.customers
    register(con, "acct_t", {
        "idx": np.arange(len(a)), "account_no": a.account_no, "cust": a.cust, "cif_no": c.cif_no[a.cust],
        "personal": ~c.corporate[a.cust], "product": a.product, "branch_idx": a.branch,
        "branch_code": world.branches.code[a.branch], "currency": text(CURRENCIES)[a.currency],
        "open_day": a.open_day, "maturity_day": a.maturity_day, "close_day": a.close_day, "rate": a.rate,
        "rate_type": np.where(a.floating, "V", "F").astype(STR),
        "term_months": np.where(np.array([p.term_months or 0 for p in PRODUCTS])[a.product] > 0,
                                np.array([p.term_months or 0 for p in PRODUCTS])[a.product], -1),
        "repricing_months": np.where(a.repricing_months > 0, a.repricing_months, -1),
        "status": np.where(c.dormant[a.cust], "1", "0").astype(STR), "first_update_day": a.first_update_day,
    })
    _register_account_parties(con, world)
    ch = a.changes.arrays()
    register(con, "acct_chg_t", ch)
    # rates in force: the initial rate, then each change
    rate_rows = ch["rate"] >= 0
    register(con, "rate_chg_t", {
        "acct": np.concatenate([np.arange(len(a)), ch["acct"][rate_rows]]),
        "day": np.concatenate([np.full(len(a), -(10**6)), ch["day"][rate_rows]]),
        "rate": np.concatenate([a.rate, ch["rate"][rate_rows]]),
    })


# Account parties besides the primary holder (the account's own customer): the share of accounts of each kind given
# one more party, and its role. Joint holders and authorised users are personal customers of the bank (a member of the
# holder's household where there is one), guarantors any customer; each existed before the horizon, so the first
# delivery already holds them.
PARTY_ROLES = ("01", "02", "03", "04")  # primary holder, joint holder, authorised user, guarantor
JOINT_SHARE = 0.04  # personal demand and time deposits with a joint holder (联名户)
AUTHORISED_SHARE = {"corporate": 0.10, "personal": 0.01}  # demand deposits with an authorised user (授权使用人)
GUARANTOR_SHARE = 0.05  # loans with a guarantor (担保人)


def _register_account_parties(con: duckdb.DuckDBPyConnection, world: World) -> None:
    a, c = world.accounts, world.customers
    rng = world.rng("account_parties")
    n = len(a)
    owner_corp = c.corporate[a.cust]
    deposit = np.isin(a.kind, [K_DEMAND, K_TIME])
    draw = rng.random(n)
    role = np.full(n, -1)
    role[deposit & ~owner_corp & (draw < JOINT_SHARE)] = 1
    demand = a.kind == K_DEMAND
    authorised = demand & (draw >= JOINT_SHARE) & (
        draw < JOINT_SHARE + np.where(owner_corp, AUTHORISED_SHARE["corporate"], AUTHORISED_SHARE["personal"]))
    role[authorised] = 2
    role[(a.kind == K_LOAN) & (draw < GUARANTOR_SHARE)] = 3
    extra = np.flatnonzero(role >= 0)
    personal_pool = np.flatnonzero(~c.corporate & (c.open_day < 0))
    any_pool = np.flatnonzero(c.open_day < 0)
    party = np.where(role[extra] == 3, any_pool[rng.integers(0, len(any_pool), len(extra))],
                     personal_pool[rng.integers(0, len(personal_pool), len(extra))]) if len(extra) else extra
    # a joint holder is another member of the holder's household where the household has one
    members: dict[str, list[int]] = {}
    for i in personal_pool:
        if c.household_code[i]:
            members.setdefault(str(c.household_code[i]), []).append(int(i))
    for k, acct in enumerate(extra):
        if role[acct] == 1:
            others = [m for m in members.get(str(c.household_code[a.cust[acct]]), []) if m != a.cust[acct]]
            if others:
                party[k] = others[int(rng.integers(0, len(others)))]
    keep = party != a.cust[extra]
    extra, party = extra[keep], party[keep]
    register(con, "acct_party_t", {
        "acct": np.concatenate([np.arange(n), extra]), "cust": np.concatenate([a.cust, party]),
        "role": np.concatenate([np.zeros(n, dtype=np.int64), role[extra]]),
    })


def _register_core_activity(con: duckdb.DuckDBPyConnection, world: World) -> None:
    """Core transactions (deposit and wealth flows, loan disbursals, repayments and write-offs), the balance rows of
    ACCT_BAL, the month's interest accruals and the daily loan snapshot."""
    cal, a, f, lb = world.cal, world.accounts, world.flows, world.loans
    rng = world.rng("events")
    loan_acct = lb.acct[lb.ev_loan]
    disbursal = lb.ev_kind == EV_DISBURSAL
    k = len(loan_acct)
    personal = ~world.customers.corporate[a.cust[loan_acct]]
    mortgage = a.product[loan_acct] == PRODUCT_INDEX["L1001"]
    lds_channel = np.where(personal & ~mortgage, MOB, CTR)
    acct = np.concatenate([f.acct, loan_acct])
    day = np.concatenate([f.day, lb.ev_day])
    sec = np.concatenate([f.sec, np.where(disbursal, rng.integers(9 * 3600, 16 * 3600, k),
                                          rng.integers(2 * 3600, 4 * 3600, k))])
    reversal_of = np.concatenate([f.reversal_of, np.full(k, -1)])
    txn_id = _txn_ids(cal, day, sec, acct, len(a), 1_000_000_000)
    register(con, "txn_t", {
        "acct": acct.astype(np.int32), "day": day.astype(np.int32), "sec": sec.astype(np.int32), "txn_id": txn_id,
        "original_id": np.where(reversal_of >= 0, txn_id[np.maximum(reversal_of, 0)], -1),
        "txn_type": np.concatenate([f.txn_type, np.select([disbursal, lb.ev_kind == EV_WRITE_OFF], [LDS, WOF], LRP)
                                    ]).astype(np.int8),
        # write-offs are back-office postings like the scheduled repayments: the same system channel
        "channel": np.concatenate([f.channel, np.where(disbursal, lds_channel, NET)]).astype(np.int8),
        "credit": np.concatenate([f.credit, ~disbursal]),
        "amount": np.concatenate([f.amount, lb.ev_amount]),
        "fee": np.concatenate([f.fee, np.zeros(k, dtype=np.int64)]),
        "counterparty": np.concatenate([f.counterparty, np.full(k, -1)]).astype(np.int32),
        "reversal": reversal_of >= 0,
    })
    register(con, "parties_t", {"idx": np.arange(len(world.parties.names)), "name": world.parties.names})

    # end-of-day balances: the day before the horizon for accounts already open, then each change
    real = ~f.paired
    fa, fd, fb = end_of_day(f.acct[real], f.day[real], f.sec[real], f.balance[real], f.initial)
    loan_initial = np.zeros(len(a), dtype=np.int64)
    loan_initial[lb.acct] = lb.initial_outstanding
    la, ld, lbal = end_of_day(loan_acct, lb.ev_day, np.zeros(k, dtype=np.int64), lb.ev_balance, loan_initial)
    existing = np.flatnonzero(a.open_day < 0)
    initial = np.where(a.kind == K_LOAN, loan_initial, f.initial)
    eod = EndOfDay(acct=np.concatenate([existing, fa, la]), day=np.concatenate([np.full(len(existing), -1), fd, ld]),
                   bal=np.concatenate([initial[existing], fb, lbal]))
    b_acct, b_day, b_bal = balance_rows(cal, eod, a.open_day, a.close_day)
    register(con, "bal_rows_t", {"acct": b_acct.astype(np.int32), "day": b_day.astype(np.int32), "bal": b_bal})

    rates = con.execute("SELECT acct, day, rate FROM rate_chg_t").fetchnumpy()
    r_acct, r_day, r_rate = (np.asarray(rates[c], dtype=np.int64) for c in ("acct", "day", "rate"))
    _register_accruals(con, world, eod, r_acct, r_day, r_rate)
    days = loan_days(lb.seg_loan, lb.seg_from, lb.seg_to, lb.seg_outstanding, lb.seg_arrears, lb.seg_due_day,
                     lb.seg_defaulted_before, np.rint(lb.pd * 1e6).astype(np.int64),
                     np.rint(lb.lgd * 1e6).astype(np.int64), lb.acct, r_acct, r_day, r_rate)
    register(con, "loan_day_t", {
        "loan": days.loan.astype(np.int32), "day": days.day.astype(np.int32), "outstanding": days.outstanding,
        "dpd": days.dpd.astype(np.int32), "five_class": days.five_class.astype(np.int8),
        "pd": days.pd_ppm.astype(np.int32), "lgd": days.lgd_ppm.astype(np.int32), "rate": days.rate.astype(np.int32),
    })


def _txn_ids(
    cal: Calendar, day: np.ndarray, sec: np.ndarray, holder: np.ndarray, n_holders: int, base: int
) -> np.ndarray:
    """Transaction ids: the business date, then ``base`` plus the transaction's place in time order within its day
    (same second: by account or card)."""
    order = np.argsort(((day + 1024) * 86400 + sec) * (n_holders + 1) + holder, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    first_of_day = np.searchsorted(day[order], np.arange(cal.days))
    return cal.yyyymmdd[day] * 10**10 + base + rank - first_of_day[day]


def _register_accruals(con: duckdb.DuckDBPyConnection, world: World, eod: EndOfDay, r_acct: np.ndarray,
                       r_day: np.ndarray, r_rate: np.ndarray) -> None:
    """Deposits accrue on their end-of-day balances; loans on their outstanding principal until 90 days past due
    (after that they are non-accrual, 非应计)."""
    cal, a, lb = world.cal, world.accounts, world.loans
    dep = a.kind[eod.acct] != K_LOAN
    acct, day, bal = eod.acct[dep], eod.day[dep], eod.bal[dep]
    last = np.append(acct[1:] != acct[:-1], True)  # eod is sorted by account and day
    close = np.minimum(a.close_day[acct], cal.days)
    end = np.minimum(np.where(last, close, np.roll(day, -1)), close)
    stop = np.where(lb.seg_arrears > 0, lb.seg_due_day + 91, NO_DAY)
    acc_to = np.clip(stop, lb.seg_from, lb.seg_to)
    seg = Segments(
        acct=np.concatenate([acct, lb.acct[lb.seg_loan]]),
        start=np.concatenate([np.maximum(day, 0), lb.seg_from]),
        end=np.concatenate([end, acc_to]),
        bal=np.concatenate([bal, lb.seg_outstanding]),
        accruing=np.ones(len(acct) + len(lb.seg_loan), dtype=bool),
    )
    x_acct, x_month, x_cents, x_days = accruals(cal, seg, r_acct, r_day, r_rate)
    line = np.array([p.line for p in PRODUCTS])[a.product[x_acct]]
    month_end = cal.month_last_day[x_month]
    keep = np.isin(line, ["DEPOSIT", "LOAN"]) & cal.month_end[month_end] & (x_days > 0)
    first = cal.day_index(cal.dates[cal.month_first_day].astype("datetime64[M]").astype("datetime64[D]"))
    register(con, "accrued_t", {
        "acct": x_acct[keep].astype(np.int32), "month_id": x_month[keep].astype(np.int32),
        "day": month_end[keep].astype(np.int32), "first_of_month": first[x_month[keep]].astype(np.int32),
        "accrued": x_cents[keep], "accrual_days": x_days[keep].astype(np.int32),
    })


def _register_cards(con: duckdb.DuckDBPyConnection, world: World) -> None:
    cs = world.cards
    product = np.where(cs.credit, text([CARD_PRODUCT_BY_TIER[t] for t in TIERS])[cs.tier], "C1001").astype(STR)
    register(con, "card_t", {
        "idx": np.arange(len(cs.card_no)), "card_no": cs.card_no, "card_customer_no": cs.holder_no[cs.holder],
        "id_type": cs.holder_id_type[cs.holder], "id_number": cs.holder_id_number[cs.holder],
        "cardholder_name": cs.holder_name[cs.holder], "mobile_phone": cs.holder_mobile[cs.holder],
        "card_type": np.where(cs.credit, "C", "D").astype(STR), "product_code": product,
        "card_tier": text(TIERS)[cs.tier], "credit_limit": cs.limit,
        "linked_account_no": np.where(cs.linked_acct >= 0, world.accounts.account_no[np.maximum(cs.linked_acct, 0)],
                                      "").astype(STR),
        "branch_code": world.branches.code[cs.branch], "open_day": cs.open_day, "expiry_day": cs.expiry_day,
        "close_day": cs.close_day, "annual_fee": cs.annual_fee, "first_update_day": cs.first_update_day,
        "credit": cs.credit, "branch_idx": cs.branch,
    })
    register(con, "card_chg_t", cs.changes.arrays())
    register(con, "ctxn_t", {
        "card": cs.t_card, "day": cs.t_day, "sec": cs.t_sec,
        "txn_id": _txn_ids(world.cal, cs.t_day, cs.t_sec, cs.t_card, len(cs.card_no), 5_000_000_000),
        "txn_type": cs.t_type.astype(np.int8), "channel": cs.t_channel.astype(np.int8),
        "merchant": cs.t_merchant, "amount": cs.t_amount, "interchange": cs.t_interchange,
        "installments": cs.t_installments, "reversal": cs.t_reversal,
    })
    merchants = world.parties.slices["merchants"]
    register(con, "merchant_t", {"idx": np.arange(merchants.start, merchants.stop),
                                 "name": world.parties.names[merchants], "mcc": world.parties.merchant_mcc})
    register(con, "stmt_t", {
        "card": cs.s_card, "day": cs.s_day, "opening": cs.s_opening, "purchases": cs.s_purchases, "cash": cs.s_cash,
        "payments": cs.s_payments, "interest": cs.s_interest, "fees": cs.s_fees, "closing": cs.s_closing,
        "minimum": cs.s_minimum, "revolving": cs.s_revolving, "dpd": cs.s_dpd,
    })
    loans = world.loans
    register(con, "loan_t", {
        "idx": np.arange(len(loans)), "acct": loans.acct, "contract_no": loans.contract_no,
        "principal": loans.principal, "credit_limit": loans.credit_limit,
        "repayment_method": METHOD_CODES[loans.method], "collateral_type": COLLATERAL_CODES[loans.collateral],
        "pd_ppm": np.rint(loans.pd * 1e6).astype(np.int64), "lgd_ppm": np.rint(loans.lgd * 1e6).astype(np.int64),
        "maturity_day": loans.maturity_day, "collateral_value": loans.collateral_value,
    })
    register(con, "loan_seg_t", {
        "loan": loans.seg_loan, "from_day": loans.seg_from, "to_day": loans.seg_to,
        "outstanding": loans.seg_outstanding, "arrears": loans.seg_arrears, "due_day": loans.seg_due_day,
        "defaulted_before": loans.seg_defaulted_before,
    })


# --- the extract tables: each built just before it is written (and dropped after), to bound memory --------------
Builder = Callable[[duckdb.DuckDBPyConnection, int], None]  # (connection, days in the horizon)


def build_sources(con: duckdb.DuckDBPyConnection, world: World) -> None:
    """Every core, card and reference source table at once (for inspection; generation builds them one by one)."""
    for builder in SOURCE_BUILDERS.values():
        builder(con, world.cal.days)


def _ref_branches(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('ref', 'branches')} AS
        SELECT b.branch_code, b.branch_name, b.branch_level, b.parent_branch_code, b.city,
               d(b.open_day) AS open_date, CAST(NULL AS DATE) AS close_date, 'A' AS status,
               d(t.day) AS biz_date, b.idx AS _ord
        FROM days_t t CROSS JOIN branches_t b
    """)


def _ref_products(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('ref', 'products')} AS
        SELECT p.product_code, p.product_name, p.category_code, p.category_name, p.product_line, p.balance_side,
               p.customer_type, p.is_term, nullif(p.term_months, -1) AS term_months,
               r(p.base_rate - CASE WHEN p.follows_cut THEN c.cut ELSE 0 END) AS base_rate,
               p.gl_interest_account, p.gl_fee_account, d(t.day) AS biz_date, p.idx AS _ord
        FROM days_t t JOIN cut_t c ON c.day = t.day CROSS JOIN products_t p
    """)


def _ref_relationship_managers(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('ref', 'relationship_managers')} AS
        SELECT m.rm_id, m.rm_name, m.branch_code, m.rm_type, m.rm_grade, d(m.hire_day) AS hire_date,
               CASE WHEN m.leave_day <= t.day THEN d(m.leave_day) END AS leave_date,
               CASE WHEN m.leave_day <= t.day THEN 'L' ELSE 'A' END AS status, d(t.day) AS biz_date, m.idx AS _ord
        FROM days_t t JOIN rm_t m ON m.hire_day <= t.day
    """)


def _ref_ftp_curve(con: duckdb.DuckDBPyConnection, days: int) -> None:
    # the curve history before the horizon comes with the first business date's delivery (the initial load)
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('ref', 'ftp_curve')} AS
        SELECT d(day) AS curve_date, currency, tenor, term_months, r(rate) AS ftp_rate,
               '{FTP_DAY_COUNT}' AS day_count, d(greatest(day, 0)) AS biz_date,
               (day - (SELECT min(day) FROM ftp_t)) * 1000 + currency_idx * 100 + tenor_idx AS _ord
        FROM ftp_t
    """)


def _ref_exchange_rates(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('ref', 'exchange_rates')} AS
        SELECT d(day) AS rate_date, currency, CAST(CAST(rate AS DECIMAL(18,0)) * 0.000001 AS DECIMAL(12,6))
                   AS cny_per_unit,
               d(day) AS biz_date, list_position({_sql_list(CURRENCIES)}, currency) AS _ord
        FROM fx_t
    """)


# 经营计划: each outlet's targets, planned from the book it holds when the horizon starts (what planning sees of
# last year's close), grown through the year, and set deliberately off the mark per outlet (PLAN_AMBITION: a plan
# above what the branch will do, or below), so that the plan-versus-actual report shows branches ahead and behind.
# Deposits and loans: targets of the month's average daily balance; fee income and net contribution: of the month's
# amount, as yields on that book. From 1 July the plan is revised (V2, approved on 1 July): the months from July on
# of the outlets planned too high are lowered, of those planned too low raised (PLAN_REVISION); every delivery from
# then on carries the revised version.
PLAN_MEASURES = ("DEPOSIT_ADB", "LOAN_ADB", "FEE_INCOME", "NET_CONTRIBUTION")
PLAN_GROWTH_PER_MONTH = {"DEPOSIT_ADB": "0.0040", "LOAN_ADB": "0.0030"}  # balance targets grow linearly by month
PLAN_MONTHLY_YIELD = {"FEE_INCOME": "0.00017", "NET_CONTRIBUTION": "0.0005"}  # of deposits + loans, per month
PLAN_AMBITION = ("0.80", "1.20")  # the per-outlet factor on the plan spans this range (above 1: too ambitious)
PLAN_REVISION = {"lower": "0.92", "raise": "1.06"}
PLAN_REVISION_MONTH = 7


def _ref_business_plan(con: duckdb.DuckDBPyConnection, days: int) -> None:
    measures = ", ".join(f"({i}, '{m}')" for i, m in enumerate(PLAN_MEASURES))
    low, high = PLAN_AMBITION
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('ref', 'business_plan')} AS
        WITH fx0 AS (SELECT currency, rate FROM fx_t WHERE day = 0),
        book AS (  -- the outlets' book on the first day, in CNY cents
            SELECT a.branch_idx,
                   sum(CASE WHEN p.product_line = 'DEPOSIT' THEN CAST(b.bal AS HUGEINT) * fx0.rate // 1000000
                            ELSE 0 END) AS deposits,
                   sum(CASE WHEN p.product_line = 'LOAN' THEN CAST(b.bal AS HUGEINT) * fx0.rate // 1000000
                            ELSE 0 END) AS loans
            FROM bal_rows_t b JOIN acct_t a ON a.idx = b.acct JOIN products_t p ON p.idx = a.product
                JOIN fx0 ON fx0.currency = a.currency
            WHERE b.day = 0
            GROUP BY a.branch_idx
        ),
        outlets AS (
            SELECT o.idx, o.branch_code, coalesce(k.deposits, 0) AS deposits, coalesce(k.loans, 0) AS loans,
                   -- spread evenly over the ambition range by the outlet's place (deterministic, no draw)
                   CAST({low} AS DECIMAL(9, 4))
                       + CAST(({high} - {low}) * ((o.idx * 7) % 11) / 10 AS DECIMAL(9, 4)) AS ambition
            FROM branches_t o LEFT JOIN book k ON k.branch_idx = o.idx
            WHERE o.branch_level IN ('BRANCH', 'SUB')
        ),
        delivered AS (
            SELECT t.day, d(t.day) AS biz_date, year(d(t.day)) AS plan_year,
                   month(d(t.day)) >= {PLAN_REVISION_MONTH} AS revised
            FROM days_t t
        ),
        months AS (SELECT m FROM range(1, 13) r(m)),
        measures AS (SELECT * FROM (VALUES {measures}) v(measure_idx, measure_code)),
        planned AS (
            SELECT t.biz_date, t.plan_year, t.revised, o.idx, o.branch_code, o.ambition, mo.m, me.measure_idx,
                   me.measure_code,
                   -- months since the horizon's first month: balances grow from the book of the first day
                   (t.plan_year - year(d(0))) * 12 + mo.m - month(d(0)) + 1 AS months_in,
                   CASE me.measure_code
                       WHEN 'DEPOSIT_ADB' THEN o.deposits WHEN 'LOAN_ADB' THEN o.loans
                       ELSE o.deposits + o.loans END::DECIMAL(38, 0) AS base_cents
            FROM delivered t CROSS JOIN outlets o CROSS JOIN months mo CROSS JOIN measures me
        )
        SELECT branch_code, make_date(plan_year, m, 1) AS plan_month, measure_code,
               CAST(round(base_cents * ambition
                   * CASE measure_code
                         WHEN 'DEPOSIT_ADB' THEN 1 + {PLAN_GROWTH_PER_MONTH["DEPOSIT_ADB"]} * months_in
                         WHEN 'LOAN_ADB' THEN 1 + {PLAN_GROWTH_PER_MONTH["LOAN_ADB"]} * months_in
                         WHEN 'FEE_INCOME' THEN {PLAN_MONTHLY_YIELD["FEE_INCOME"]}
                         ELSE {PLAN_MONTHLY_YIELD["NET_CONTRIBUTION"]} END
                   * CASE WHEN NOT revised OR m < {PLAN_REVISION_MONTH} THEN 1
                          WHEN ambition > 1.05 THEN {PLAN_REVISION["lower"]}
                          WHEN ambition < 0.95 THEN {PLAN_REVISION["raise"]} ELSE 1 END) AS DECIMAL(18, 0))
                   * CAST(0.01 AS DECIMAL(18, 2)) AS target_amount,
               plan_year || CASE WHEN revised THEN 'V2' ELSE 'V1' END AS plan_version,
               CASE WHEN revised THEN make_date(plan_year, {PLAN_REVISION_MONTH}, 1)
                    ELSE make_date(plan_year - 1, 12, 15) END AS approved_date,
               biz_date, idx * 100 + m * 4 + measure_idx AS _ord
        FROM planned
    """)


def _core_balances(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('core', 'balances')} AS
        SELECT a.account_no, d(b.day) AS balance_date, a.currency, m(b.bal) AS balance, d(b.day) AS biz_date,
               b.acct AS _ord
        FROM bal_rows_t b JOIN acct_t a ON a.idx = b.acct
    """)


def _core_transactions(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('core', 'transactions')} AS
        SELECT CAST(t.txn_id AS VARCHAR) AS txn_id, a.account_no, d(t.day) AS txn_date,
               hhmmss(t.sec) AS txn_time,
               {_sql_list(TXN_TYPES)}[t.txn_type + 1] AS txn_type, {_sql_list(CHANNELS)}[t.channel + 1] AS channel,
               CASE WHEN t.credit THEN 'C' ELSE 'D' END AS dr_cr_flag, m(t.amount) AS amount,
               a.currency, m(t.fee) AS fee_amount, CASE WHEN t.reversal THEN 'Y' ELSE 'N' END AS reversal_flag,
               CASE WHEN t.original_id >= 0 THEN CAST(t.original_id AS VARCHAR) END AS original_txn_id,
               p.name AS counterparty_name, d(t.day) AS biz_date, t.txn_id AS _ord
        FROM txn_t t JOIN acct_t a ON a.idx = t.acct LEFT JOIN parties_t p ON p.idx = t.counterparty
    """)


def _core_loans(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('core', 'loans')} AS
        SELECT a.account_no AS loan_account_no, l.contract_no, a.cif_no, m(l.principal) AS principal_amount,
               m(x.outstanding) AS outstanding_principal, m(l.credit_limit) AS credit_limit,
               r(x.rate) AS interest_rate, l.repayment_method, l.collateral_type,
               CASE WHEN l.collateral_value >= 0 THEN m(l.collateral_value) END AS collateral_value,
               {_sql_list(FIVE_CLASSES)}[x.five_class + 1] AS five_class, x.dpd AS days_past_due, r(x.pd) AS pd,
               r(x.lgd) AS lgd, d(l.maturity_day) AS maturity_date, d(x.day) AS as_of_date, d(x.day) AS biz_date,
               l.acct AS _ord
        FROM loan_day_t x JOIN loan_t l ON l.idx = x.loan JOIN acct_t a ON a.idx = l.acct
    """)


def _versions(con: duckdb.DuckDBPyConnection, table: str, key: str, base: str, changes: str, days: int) -> None:
    """The (record, day) pairs an incremental extract delivers: the first delivery of each record (day 0, or the day
    it appears) and every day it changed; ``initial`` marks records that existed before the horizon."""
    con.execute(f"""
        CREATE OR REPLACE TABLE {table} AS
        WITH v AS (
            SELECT idx AS {key}, greatest(open_day, 0) AS day, open_day < 0 AS initial
            FROM {base} WHERE open_day < {days}
            UNION ALL SELECT DISTINCT {key}, day, false FROM {changes}
        )
        SELECT v.{key}, v.day, bool_or(v.initial) AS initial FROM v GROUP BY v.{key}, v.day
    """)


def _version_stamps(record: str, key: str) -> str:
    """The last update date, business date and row order of a version ``v`` of a ``record``: a record that existed
    before the horizon shows its own last update on day 0."""
    return (f"d(CASE WHEN v.initial AND v.day = 0 THEN {record}.first_update_day ELSE v.day END) AS last_update_date, "
            f"d(v.day) AS biz_date, v.{key} AS _ord")


def _in_force(alias: str, changes: str, key: str, columns: str, where: str) -> str:
    """Join a version ``v`` to the latest of its record's ``changes`` (those ``where`` holds) on or before its day."""
    return (f"ASOF LEFT JOIN (SELECT {key}, day, {columns} FROM {changes} WHERE {where}) {alias} "
            f"ON {alias}.{key} = v.{key} AND v.day >= {alias}.day")


def _customers_sql(con: duckdb.DuckDBPyConnection, days: int) -> None:
    _versions(con, "cust_versions", "cust", "cust_t", "cust_chg_t", days)
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('core', 'customers')} AS
        SELECT c.cif_no, c.customer_type, c.customer_name, c.id_type, c.id_number, c.gender,
               d(c.birth_day) AS birth_date, c.industry_code, c.enterprise_scale, c.group_code, c.household_code,
               c.home_branch_code,
               rm.rm_id, {_sql_list(RATINGS)}[coalesce(rt.rating, c.rating_idx) + 1] AS risk_rating,
               coalesce(st.status, c.status) AS customer_status, d(c.open_day) AS open_date,
               CASE WHEN st.close_day >= 0 THEN d(st.close_day) END AS close_date,
               coalesce(mb.mobile, c.mobile_phone) AS mobile_phone, c.address, {_version_stamps('c', 'cust')}
        FROM cust_versions v JOIN cust_t c ON c.idx = v.cust
        {_in_force('r1', 'cust_chg_t', 'cust', 'rm', 'rm >= 0')}
        {_in_force('rt', 'cust_chg_t', 'cust', 'rating', 'rating >= 0')}
        {_in_force('st', 'cust_chg_t', 'cust', 'status, close_day', 'status IS NOT NULL')}
        {_in_force('mb', 'cust_chg_t', 'cust', 'mobile', 'mobile IS NOT NULL')}
        LEFT JOIN rm_t rm ON rm.idx = coalesce(r1.rm, c.rm_idx)
    """)


def _customer_rm_shares(con: duckdb.DuckDBPyConnection, days: int) -> None:
    # the lead (主办) is the CIF's managing RM of the day, so a lead who leaves hands the lead share to the successor
    # on the day the CIF changes hands
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('core', 'customer_rm_shares')} AS
        WITH daily AS (
            SELECT t.day, s.cust, s.co_rm, s.share, s.start_day, coalesce(r1.rm, c.rm_idx) AS lead_rm
            FROM days_t t
            JOIN share_t s ON t.day >= greatest(s.start_day, 0)
            JOIN cust_t c ON c.idx = s.cust AND t.day >= c.open_day
            ASOF LEFT JOIN (SELECT cust, day, rm FROM cust_chg_t WHERE rm >= 0) r1
                ON r1.cust = s.cust AND t.day >= r1.day
        )
        SELECT c.cif_no, rm.rm_id, '1' AS rm_role, r(1000000 - x.share) AS share_ratio, d(x.start_day) AS start_date,
               d(x.day) AS biz_date, x.cust * 2 AS _ord
        FROM daily x JOIN cust_t c ON c.idx = x.cust JOIN rm_t rm ON rm.idx = x.lead_rm
        UNION ALL
        SELECT c.cif_no, rm.rm_id, '2', r(x.share), d(x.start_day), d(x.day), x.cust * 2 + 1
        FROM daily x JOIN cust_t c ON c.idx = x.cust JOIN rm_t rm ON rm.idx = x.co_rm
    """)


def _accounts_sql(con: duckdb.DuckDBPyConnection, days: int) -> None:
    _versions(con, "acct_versions", "acct", "acct_t", "acct_chg_t", days)
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('core', 'accounts')} AS
        SELECT a.account_no, a.cif_no, p.product_code, a.branch_code, a.currency, d(a.open_day) AS open_date,
               d(coalesce(mt.maturity_day, nullif(a.maturity_day, {int(NO_DAY)}))) AS maturity_date,
               CASE WHEN a.close_day <= v.day THEN d(a.close_day) END AS close_date,
               r(rc.rate) AS interest_rate, a.rate_type, nullif(a.term_months, -1) AS term_months,
               nullif(a.repricing_months, -1) AS repricing_months,
               CASE WHEN a.close_day <= v.day THEN '9' ELSE coalesce(st.status, a.status) END AS account_status,
               {_version_stamps('a', 'acct')},
               d(coalesce(mt.day, a.open_day)) AS value_date
        FROM acct_versions v JOIN acct_t a ON a.idx = v.acct JOIN products_t p ON p.idx = a.product
        ASOF JOIN rate_chg_t rc ON rc.acct = v.acct AND v.day >= rc.day
        {_in_force('mt', 'acct_chg_t', 'acct', 'maturity_day', 'maturity_day >= 0')}
        {_in_force('st', 'acct_chg_t', 'acct', 'status', 'status IS NOT NULL')}
    """)


def _account_parties_sql(con: duckdb.DuckDBPyConnection, days: int) -> None:
    # delivered with the account's first delivery, and again with its valid_to on the day the account closes
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('core', 'account_parties')} AS
        WITH v AS (
            SELECT p.acct, p.cust, p.role, greatest(a.open_day, 0) AS day
            FROM acct_party_t p JOIN acct_t a ON a.idx = p.acct WHERE a.open_day < {days}
            UNION ALL
            SELECT p.acct, p.cust, p.role, a.close_day
            FROM acct_party_t p JOIN acct_t a ON a.idx = p.acct
            WHERE a.close_day > greatest(a.open_day, 0) AND a.close_day < {days}
        )
        SELECT a.account_no, c.cif_no, {_sql_list(list(PARTY_ROLES))}[v.role + 1] AS party_role,
               d(a.open_day) AS valid_from, CASE WHEN a.close_day <= v.day THEN d(a.close_day) END AS valid_to,
               d(v.day) AS biz_date, v.acct * 4 + v.role AS _ord
        FROM v JOIN acct_t a ON a.idx = v.acct JOIN cust_t c ON c.idx = v.cust
    """)


def _accruals_sql(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('core', 'interest_accruals')} AS
        SELECT a.account_no, d(x.first_of_month) AS accrual_month, a.currency, m(x.accrued) AS accrued_interest,
               x.accrual_days, p.gl_interest_account AS gl_account, d(x.day) AS biz_date, x.acct AS _ord
        FROM accrued_t x JOIN acct_t a ON a.idx = x.acct JOIN products_t p ON p.idx = a.product
    """)


def _cards_cards(con: duckdb.DuckDBPyConnection, days: int) -> None:
    _versions(con, "card_versions", "card", "card_t", "card_chg_t", days)
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('cards', 'cards')} AS
        SELECT c.card_no, c.card_customer_no, c.id_type, c.id_number, c.cardholder_name, c.mobile_phone,
               c.card_type, c.product_code, c.card_tier, m(c.credit_limit) AS credit_limit, c.linked_account_no,
               c.branch_code, d(c.open_day) AS open_date, d(coalesce(ex.expiry_day, c.expiry_day)) AS expiry_date,
               CASE WHEN c.close_day <= v.day THEN d(c.close_day) END AS close_date,
               CASE WHEN c.close_day <= v.day THEN 'C' ELSE coalesce(st.status, 'A') END AS card_status,
               m(c.annual_fee) AS annual_fee, {_version_stamps('c', 'card')}
        FROM card_versions v JOIN card_t c ON c.idx = v.card
        {_in_force('ex', 'card_chg_t', 'card', 'expiry_day', 'expiry_day >= 0')}
        {_in_force('st', 'card_chg_t', 'card', 'status', 'status IS NOT NULL')}
    """)


def _cards_transactions(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('cards', 'card_transactions')} AS
        SELECT CAST(t.txn_id AS VARCHAR) AS card_txn_id, c.card_no, d(t.day) AS txn_date,
               hhmmss(t.sec) AS txn_time,
               {_sql_list(CARD_TYPES)}[t.txn_type + 1] AS txn_type,
               {_sql_list(CARD_CHANNELS)}[t.channel + 1] AS channel,
               mt.mcc, mt.name AS merchant_name, m(t.amount) AS amount, 'CNY' AS currency,
               m(t.interchange) AS interchange_fee, nullif(t.installments, 0) AS installment_months,
               CASE WHEN t.reversal THEN 'Y' ELSE 'N' END AS reversal_flag, d(t.day) AS biz_date, t.txn_id AS _ord
        FROM ctxn_t t JOIN card_t c ON c.idx = t.card LEFT JOIN merchant_t mt ON mt.idx = t.merchant
    """)


def _cards_statements(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('cards', 'card_statements')} AS
        SELECT c.card_no, d(s.day) AS statement_date, d(s.day + 20) AS due_date, m(s.opening) AS opening_balance,
               m(s.purchases) AS purchases, m(s.cash) AS cash_advances, m(s.payments) AS payments,
               m(s.interest) AS interest_charged, m(s.fees) AS fees_charged, m(s.closing) AS closing_balance,
               m(s.minimum) AS minimum_payment, m(s.revolving) AS revolving_balance, s.dpd AS days_past_due,
               d(s.day) AS biz_date, s.card AS _ord
        FROM stmt_t s JOIN card_t c ON c.idx = s.card
    """)


SOURCE_BUILDERS: dict[str, Builder] = {
    "ref.branches": _ref_branches, "ref.products": _ref_products,
    "ref.relationship_managers": _ref_relationship_managers, "ref.ftp_curve": _ref_ftp_curve,
    "ref.exchange_rates": _ref_exchange_rates, "ref.business_plan": _ref_business_plan,
    "core.customers": _customers_sql, "core.accounts": _accounts_sql,
    "core.customer_rm_shares": _customer_rm_shares, "core.account_parties": _account_parties_sql,
    "core.balances": _core_balances, "core.transactions": _core_transactions, "core.loans": _core_loans,
    "core.interest_accruals": _accruals_sql, "cards.cards": _cards_cards,
    "cards.card_transactions": _cards_transactions, "cards.card_statements": _cards_statements,
}


__all__ = ["SOURCE_BUILDERS", "Builder", "build_sources", "register_world", "source_table"]
