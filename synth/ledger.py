"""The general ledger (总账): chart of accounts, cost centres and the day's postings, both legs of every entry.

- Interest at month-end, per GL interest account and cost centre: the sum over accounts of the month's accrual
  (INT_ACCR) converted at the month-end rate and rounded to the cent — so the GL ties out to the accruals exactly.
  Income: Dr 1132 应收利息 / Cr 6011xx; expense: Dr 6411xx / Cr 2231 应付利息.
- Fee income every day: core fees (fee_amount, and the amount of FEE rows) converted at the day's rate per
  transaction, to the product's fee account; card interchange (reversals net), annual and cash-advance fees to 602102,
  installment fees to 602104, revolving interest to 601106, at the card centre.
- Operating expense (业务及管理费 6601xx) by cost centre, sized to a cost-to-income ratio of about a third: salaries
  and depreciation at month-end, rent on the 1st, IT and cash transport on working days, the rest on their days.
"""

from __future__ import annotations

import duckdb
import numpy as np

from synth.calendar import Calendar
from synth.cards import AFE, CFE, IFE, INT
from synth.extracts import Builder, source_table
from synth.flows import FEE
from synth.frame import register
from synth.ids import STR, text
from synth.reference import LEVEL_BRANCH, LEVEL_HO, LEVEL_REGION, LEVEL_SUB, Branches, CostCentres
from synth.world import World

COST_TO_INCOME = 0.34
# (account, narrative, share of operating expense, when, credit leg, driver)
OPEX = [
    ("660101", "计提职工薪酬", 0.55, "month_end", "2211", "staff"),
    ("660102", "支付租赁费", 0.10, "day1", "2241", "premises"),
    ("660103", "电子设备运转费", 0.12, "weekdays", "2241", "it"),
    ("660104", "计提折旧", 0.08, "month_end", "1602", "premises"),
    ("660105", "业务宣传费", 0.05, "random", "2241", "marketing"),
    ("660106", "水电费", 0.03, "day15", "2241", "premises"),
    ("660107", "差旅费", 0.02, "random", "2241", "staff"),
    ("660108", "邮电通讯费", 0.02, "day20", "2241", "staff"),
    ("660109", "安全防卫费", 0.02, "day5", "2241", "outlets"),
    ("660110", "钞币运送费", 0.01, "weekdays", "2241", "outlets"),
]


def _driver_weights(cc: CostCentres, branches: Branches) -> dict[str, np.ndarray]:
    level = branches.level[cc.branch]
    dept = cc.department

    def w(table: dict[tuple[int, str], float]) -> np.ndarray:
        return np.array([table.get((int(lv), str(dp)), 0.0) for lv, dp in zip(level, dept, strict=True)])

    # a branch's corporate team (an RM covers a few dozen companies, plus credit analysts) costs about what its retail
    # floor does; sub-branches are retail outlets
    staff = w({(LEVEL_HO, "IT"): 10, (LEVEL_HO, "OPS"): 8, (LEVEL_HO, "ADM"): 8, (LEVEL_HO, "CARD"): 6,
               (LEVEL_HO, "RET"): 4, (LEVEL_HO, "CORP"): 6, (LEVEL_REGION, "ADM"): 5, (LEVEL_BRANCH, "RET"): 6,
               (LEVEL_BRANCH, "CORP"): 10, (LEVEL_SUB, "RET"): 3})
    premises = w({(LEVEL_HO, "ADM"): 20, (LEVEL_REGION, "ADM"): 5, (LEVEL_BRANCH, "RET"): 6,
                  (LEVEL_BRANCH, "CORP"): 2, (LEVEL_SUB, "RET"): 3})
    it = w({(LEVEL_HO, "IT"): 1.0})
    it = 0.8 * it / max(it.sum(), 1e-9) + 0.2 * staff / max(staff.sum(), 1e-9)
    marketing = w({(LEVEL_HO, "RET"): 10, (LEVEL_HO, "CARD"): 10, (LEVEL_BRANCH, "RET"): 2, (LEVEL_SUB, "RET"): 1})
    outlets = w({(LEVEL_BRANCH, "RET"): 2, (LEVEL_SUB, "RET"): 1})
    out = {"staff": staff, "premises": premises, "it": it, "marketing": marketing, "outlets": outlets}
    return {k: v / max(v.sum(), 1e-9) for k, v in out.items()}


def _posting_days(rng: np.random.Generator, cal: Calendar, when: str, month: int, n_centres: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(centre, day) pairs of one category in one month (days inside the horizon only)."""
    days = np.flatnonzero(cal.month_id == month)
    dom = cal.day_of_month[days]
    weekdays = days[cal.weekday[days] < 5]
    fixed = {"month_end": days[cal.month_end[days]], "day1": days[dom == 1], "day15": days[dom == 15],
             "day20": days[dom == 20], "day5": days[dom == 5]}
    if when in fixed:
        chosen = fixed[when]
        return np.repeat(np.arange(n_centres), len(chosen)), np.tile(chosen, n_centres)
    if when == "weekdays":
        return np.repeat(np.arange(n_centres), len(weekdays)), np.tile(weekdays, n_centres)
    if not len(weekdays):
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    k = min(6, len(weekdays))  # a few random working days a month
    picks = np.array([rng.choice(weekdays, size=k, replace=False) for _ in range(n_centres)]).reshape(-1)
    return np.repeat(np.arange(n_centres), k), picks


def prepare_ledger(con: duckdb.DuckDBPyConnection, world: World) -> None:
    """The postings of the horizon (gl_income_t, gl_opex_t, gl_postings_t), from which the ledger extract and the
    manifest's GL truth are drawn."""
    card_centres = np.flatnonzero(world.cost_centres.department == "CARD")
    card_centre = int(card_centres[0]) if len(card_centres) else -1  # a bank without cards has none (no card rows)
    # income postings: (day, kind, account, cost centre, CNY cents, debit account)
    con.execute(f"""
        CREATE OR REPLACE TABLE gl_income_t AS
        WITH acct_cc AS (
            SELECT a.idx AS acct, a.product, cc.idx AS cc
            FROM acct_t a JOIN cc_t cc ON cc.branch_idx = a.branch_idx
             AND cc.department_code = CASE WHEN a.personal THEN 'RET' ELSE 'CORP' END
        ),
        interest AS (
            SELECT x.day, p.gl_interest_account AS account, ac.cc,
                   sum((CAST(x.accrued AS HUGEINT) * fx.rate + 500000) // 1000000) AS cents
            FROM accrued_t x JOIN acct_t a ON a.idx = x.acct JOIN acct_cc ac ON ac.acct = x.acct
            JOIN products_t p ON p.idx = a.product
            JOIN fx_t fx ON fx.day = x.day AND fx.currency = a.currency
            GROUP BY ALL
        ),
        core_fees AS (
            SELECT t.day, p.gl_fee_account AS account, ac.cc,
                   coalesce(CASE WHEN p.product_line = 'WEALTH' THEN NULL ELSE p.gl_balance_account END, '201101')
                       AS debit_account,
                   sum((CAST(t.fee + CASE WHEN t.txn_type = {FEE} THEN t.amount ELSE 0 END AS HUGEINT) * fx.rate
                        + 500000) // 1000000) AS cents
            FROM txn_t t JOIN acct_t a ON a.idx = t.acct JOIN acct_cc ac ON ac.acct = t.acct
            JOIN products_t p ON p.idx = a.product
            JOIN fx_t fx ON fx.day = t.day AND fx.currency = a.currency
            WHERE t.fee > 0 OR t.txn_type = {FEE}
            GROUP BY ALL
        ),
        card AS (
            SELECT day,
                   sum(CASE WHEN reversal THEN -interchange ELSE interchange END) AS interchange,
                   sum(amount) FILTER (WHERE txn_type IN ({AFE}, {CFE})) AS card_fees,
                   sum(amount) FILTER (WHERE txn_type = {IFE}) AS installment_fees,
                   sum(amount) FILTER (WHERE txn_type = {INT}) AS card_interest
            FROM ctxn_t GROUP BY day
        )
        SELECT day, 1 AS kind, account, cc, CAST(cents AS BIGINT) AS cents,
               CASE WHEN account LIKE '6011%' THEN '1132' ELSE account END AS dr_account,
               CASE WHEN account LIKE '6011%' THEN account ELSE '2231' END AS cr_account,
               CASE WHEN account LIKE '6011%' THEN '计提贷款利息收入' ELSE '计提存款利息支出' END AS narrative
        FROM interest WHERE cents > 0
        UNION ALL
        SELECT day, 2, account, cc, CAST(cents AS BIGINT), debit_account, account, '收取手续费'
        FROM core_fees WHERE cents > 0
        UNION ALL
        SELECT day, 3, '602102', {card_centre}, CAST(interchange AS BIGINT), '1221', '602102', '银行卡交换费收入'
        FROM card WHERE interchange > 0
        UNION ALL
        SELECT day, 4, '602102', {card_centre}, CAST(card_fees AS BIGINT), '130306', '602102', '信用卡年费及取现手续费'
        FROM card WHERE card_fees > 0
        UNION ALL
        SELECT day, 5, '602104', {card_centre}, CAST(installment_fees AS BIGINT), '130306', '602104', '信用卡分期手续费'
        FROM card WHERE installment_fees > 0
        UNION ALL
        SELECT day, 6, '601106', {card_centre}, CAST(card_interest AS BIGINT), '130306', '601106', '信用卡透支利息'
        FROM card WHERE card_interest > 0
    """)
    _opex(con, world)
    con.execute("""
        CREATE OR REPLACE TABLE gl_postings_t AS
        SELECT day, kind, account, cc, cents, dr_account, cr_account, narrative FROM gl_income_t
        UNION ALL SELECT day, kind, account, cc, cents, dr_account, cr_account, narrative FROM gl_opex_t
    """)


def _chart_of_accounts(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('accounting', 'chart_of_accounts')} AS
        SELECT c.*, d(t.day) AS biz_date, row_number() OVER (PARTITION BY t.day ORDER BY c.account_code) AS _ord
        FROM days_t t CROSS JOIN chart_t c
    """)


def _cost_centres(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('accounting', 'cost_centres')} AS
        SELECT c.cost_centre_code, c.cost_centre_name, c.branch_code, c.department_code, c.cost_centre_type,
               d(t.day) AS biz_date, c.idx AS _ord
        FROM days_t t CROSS JOIN cc_t c
    """)


def _ledger_entries(con: duckdb.DuckDBPyConnection, days: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE {source_table('accounting', 'ledger_entries')} AS
        WITH numbered AS (
            SELECT *, row_number() OVER (PARTITION BY day ORDER BY kind, account, cc, dr_account, cr_account, cents)
                          AS seq
            FROM gl_postings_t
        ),
        legs AS (
            SELECT n.*, leg.leg FROM numbered n CROSS JOIN (VALUES (1), (2)) leg(leg)
        )
        SELECT 'JZ' || CAST(t.yyyymmdd AS VARCHAR) || substr(CAST(10000000 + l.seq AS VARCHAR), 2)
                   || CAST(l.leg AS VARCHAR) AS entry_id,
               d(l.day) AS posting_date, CASE WHEN l.leg = 1 THEN l.dr_account ELSE l.cr_account END AS account_code,
               cc.cost_centre_code, 'CNY' AS currency, CASE WHEN l.leg = 1 THEN 'D' ELSE 'C' END AS dr_cr_flag,
               m(l.cents) AS amount, l.narrative AS description, d(l.day) AS biz_date, l.seq * 2 + l.leg AS _ord
        FROM legs l JOIN cc_t cc ON cc.idx = l.cc JOIN days_t t ON t.day = l.day
    """)


def _opex(con: duckdb.DuckDBPyConnection, world: World) -> None:
    cal = world.cal
    rng = world.rng("ledger")
    # Income of the horizon (net interest + fees) sets the size of the cost base.
    (income,) = con.execute("""
        SELECT coalesce(sum(CASE WHEN account LIKE '6411%' THEN -cents ELSE cents END), 0) FROM gl_income_t
    """).fetchall()
    months_present = np.bincount(cal.month_id, minlength=cal.n_months)
    per_day = max(float(income[0]), 0.0) / max(cal.days, 1)
    if per_day <= 0:  # a horizon without a month-end has no interest yet: size by the deposit base instead
        per_day = 1e-4 * max(world.scale, 1e-3) * 1e8
    weights = _driver_weights(world.cost_centres, world.branches)
    n_cc = len(world.cost_centres)
    month_no = cal.month_number()[cal.month_first_day]
    festival_month = cal.month_id[np.clip(np.flatnonzero(cal.festival_offset() == -20), 0, cal.days - 1)]
    rows: dict[str, list[np.ndarray]] = {k: [] for k in ("day", "account", "cc", "cents", "cr", "narrative")}
    for m in range(cal.n_months):
        budget = COST_TO_INCOME * per_day * months_present[m]
        for account, narrative, share, when, credit_leg, driver in OPEX:
            season = 1.0
            if account == "660101" and m in festival_month:
                season = 1.3  # year-end bonuses paid before the Spring Festival (most are accrued through the year)
            if account == "660105" and month_no[m] in (11, 12, 1):
                season = 1.8
            centre, day = _posting_days(rng, cal, when, m, n_cc)
            if not len(day):
                continue
            w = weights[driver][centre]
            per_centre = np.bincount(centre, minlength=n_cc)
            amount = budget * share * season * w / np.maximum(per_centre[centre], 1)
            cents = np.rint(amount * rng.lognormal(-0.005, 0.1, len(day))).astype(np.int64)  # income is in cents
            keep = cents > 0
            rows["day"].append(day[keep])
            rows["account"].append(np.full(int(keep.sum()), account, dtype=STR))
            rows["cc"].append(centre[keep])
            rows["cents"].append(cents[keep])
            rows["cr"].append(np.full(int(keep.sum()), credit_leg, dtype=STR))
            rows["narrative"].append(np.full(int(keep.sum()), narrative, dtype=STR))
    empty = {"day": np.array([], dtype=np.int64), "account": text([]), "cc": np.array([], dtype=np.int64),
             "cents": np.array([], dtype=np.int64), "cr": text([]), "narrative": text([])}
    table = {k: np.concatenate(v) if v else empty[k] for k, v in rows.items()}
    register(con, "gl_opex_raw", table)
    con.execute("""
        CREATE OR REPLACE TABLE gl_opex_t AS
        SELECT day, 10 AS kind, account, cc, cents, account AS dr_account, cr AS cr_account, narrative
        FROM gl_opex_raw
    """)


LEDGER_BUILDERS: dict[str, Builder] = {
    "accounting.chart_of_accounts": _chart_of_accounts, "accounting.cost_centres": _cost_centres,
    "accounting.ledger_entries": _ledger_entries,
}
