"""Reference data of the synthetic bank: branch tree, product catalogue, chart of accounts, cost centres, the rate
environment (LPR, deposit list rates, FTP curve) and exchange rates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synth import vocab
from synth.calendar import Calendar
from synth.frame import Cols
from synth.ids import STR, text

CURRENCIES = ["CNY", "USD", "HKD", "EUR"]
CNY, USD, HKD, EUR = range(4)


# --- branch tree ------------------------------------------------------------------------------------------------
LEVEL_HO, LEVEL_REGION, LEVEL_BRANCH, LEVEL_SUB = range(4)
LEVEL_CODES = ["HO", "REGION", "BRANCH", "SUB"]


@dataclass
class Branches:
    code: np.ndarray  # STR
    name: np.ndarray
    level: np.ndarray  # int
    parent: np.ndarray  # int index, -1 for head office
    city: np.ndarray
    city_index: np.ndarray  # index into vocab.CITIES
    open_day: np.ndarray

    def __len__(self) -> int:
        return len(self.code)

    def of_level(self, level: int) -> np.ndarray:
        return np.flatnonzero(self.level == level)

    def branch_of(self) -> np.ndarray:
        """Each outlet's BRANCH-level ancestor (itself for a branch; -1 above branch level)."""
        out = np.where(self.level == LEVEL_BRANCH, np.arange(len(self)), -1)
        subs = self.level == LEVEL_SUB
        out[subs] = self.parent[subs]
        return out

    def region_of(self) -> np.ndarray:
        out = np.where(self.level == LEVEL_REGION, np.arange(len(self)), -1)
        br = self.level == LEVEL_BRANCH
        out[br] = self.parent[br]
        subs = self.level == LEVEL_SUB
        out[subs] = self.parent[self.parent[subs]]
        return out


def build_branches(rng: np.random.Generator, scale: float, cal: Calendar) -> Branches:
    """Head office → regions (分行, one per city) → branches (支行) → sub-branches (网点), growing with √scale."""
    root = math.sqrt(max(scale, 1e-6))
    n_regions = int(min(len(vocab.CITIES), max(2, round(6 * root))))
    n_branches = max(n_regions + 1, round(30 * root))
    n_subs = max(2 * n_branches, round(90 * root))
    codes, names, levels, parents, cities, city_idx, opens = [], [], [], [], [], [], []

    def add(code: str, name: str, level: int, parent: int, city: int, years_ago: float) -> int:
        codes.append(code)
        names.append(name)
        levels.append(level)
        parents.append(parent)
        cities.append(vocab.CITIES[city][0])
        city_idx.append(city)
        opens.append(-int(years_ago * 365.25))
        return len(codes) - 1

    ho = add("100000", "总行", LEVEL_HO, -1, 0, 30)
    region_rows = [add(f"{11 + r}0000", f"{vocab.CITIES[r][0]}分行", LEVEL_REGION, ho, r, rng.uniform(12, 25))
                   for r in range(n_regions)]
    branch_rows: list[int] = []
    per_region = np.bincount(np.arange(n_branches) % n_regions, minlength=n_regions)
    for r, count in enumerate(per_region):
        districts = vocab.CITIES[r][2]
        for b in range(count):
            district = districts[b % len(districts)] + ("" if b < len(districts) else str(b // len(districts) + 1))
            branch_rows.append(add(f"{11 + r}{b + 1:02d}00", f"{vocab.CITIES[r][0]}{district}支行", LEVEL_BRANCH,
                                   region_rows[r], r, rng.uniform(5, 20)))
    per_branch = np.bincount(np.arange(n_subs) % n_branches, minlength=n_branches)
    for i, count in enumerate(per_branch):
        parent = branch_rows[i]
        r = city_idx[parent]
        for s in range(count):
            road = vocab.ROADS[int(rng.integers(len(vocab.ROADS)))]
            district = vocab.CITIES[r][2][int(rng.integers(len(vocab.CITIES[r][2])))]
            add(f"{codes[parent][:4]}{s + 1:02d}", f"{district}{road}网点", LEVEL_SUB, parent, r, rng.uniform(1, 15))
    return Branches(
        code=text(codes), name=text(names), level=np.array(levels), parent=np.array(parents), city=text(cities),
        city_index=np.array(city_idx), open_day=np.array(opens, dtype=np.int64),
    )


# --- products ---------------------------------------------------------------------------------------------------
# kinds drive behaviour in the generator
K_DEMAND, K_TIME, K_NOTICE, K_FX, K_LOAN, K_DEBIT, K_CREDIT, K_WEALTH_OPEN, K_WEALTH_TERM = range(9)


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    category_code: str
    category_name: str
    line: str
    side: str
    customer_type: str
    term_months: int | None
    base_rate: str  # annual, as text so it stays exact
    gl_interest: str | None
    gl_fee: str | None
    kind: int
    gl_balance: str | None  # the balance-sheet account the product sits on (fees are debited from it)


# code|name|category|category name|line|side|customer type|term|list rate|GL interest|GL fee|kind|GL balance
_PRODUCT_TABLE = """
D1001|个人活期存款|DEP_DEMAND|活期存款|DEPOSIT|L|P||0.000500|641101|602101|demand|201101
D1102|个人定期存款(三个月)|DEP_TIME|定期存款|DEPOSIT|L|P|3|0.006500|641102|602101|time|201102
D1103|个人定期存款(六个月)|DEP_TIME|定期存款|DEPOSIT|L|P|6|0.008500|641102|602101|time|201102
D1104|个人定期存款(一年)|DEP_TIME|定期存款|DEPOSIT|L|P|12|0.009500|641102|602101|time|201102
D1105|个人定期存款(二年)|DEP_TIME|定期存款|DEPOSIT|L|P|24|0.010500|641102|602101|time|201102
D1106|个人定期存款(三年)|DEP_TIME|定期存款|DEPOSIT|L|P|36|0.012500|641102|602101|time|201102
D1107|个人定期存款(五年)|DEP_TIME|定期存款|DEPOSIT|L|P|60|0.013000|641102|602101|time|201102
D1201|个人外币活期存款|DEP_FX|外币存款|DEPOSIT|L|P||0.000500|641106|602101|fx|201106
D2001|单位活期存款|DEP_DEMAND|活期存款|DEPOSIT|L|C||0.001000|641103|602101|demand|201103
D2101|单位定期存款(一年)|DEP_TIME|定期存款|DEPOSIT|L|C|12|0.010000|641104|602101|time|201104
D2102|单位定期存款(三年)|DEP_TIME|定期存款|DEPOSIT|L|C|36|0.013000|641104|602101|time|201104
D2201|单位七天通知存款|DEP_NOTICE|通知存款|DEPOSIT|L|C||0.004500|641105|602101|notice|201105
D2301|单位外币活期存款|DEP_FX|外币存款|DEPOSIT|L|C||0.000500|641106|602101|fx|201106
L1001|个人住房贷款|LN_MORT|住房贷款|LOAN|A|P|360|0.031000|601101||loan|130301
L1002|个人消费贷款|LN_CONS|消费贷款|LOAN|A|P|36|0.040000|601102||loan|130302
L1003|个人经营贷款|LN_BUS|经营贷款|LOAN|A|P|36|0.036000|601103||loan|130303
L2001|流动资金贷款|LN_CORP|公司贷款|LOAN|A|C|12|0.032000|601104||loan|130304
L2002|固定资产贷款|LN_CORP|公司贷款|LOAN|A|C|60|0.035000|601105||loan|130305
C1001|借记卡|CARD_DEBIT|借记卡|CARD|O|P||0.000000||602102|debit|
C2001|信用卡普卡|CARD_CREDIT|信用卡|CARD|A|P||0.182500|601106|602102|credit|130306
C2002|信用卡金卡|CARD_CREDIT|信用卡|CARD|A|P||0.182500|601106|602102|credit|130306
C2003|信用卡白金卡|CARD_CREDIT|信用卡|CARD|A|P||0.182500|601106|602102|credit|130306
C2004|信用卡钻石卡|CARD_CREDIT|信用卡|CARD|A|P||0.182500|601106|602102|credit|130306
W1001|现金管理类理财|WM_OPEN|开放式理财|WEALTH|O|B||0.018000||602103|wealth_open|
W1002|一年期封闭式理财|WM_CLOSED|封闭式理财|WEALTH|O|P|12|0.026000||602103|wealth_term|
W1003|基金代销|FUND|基金代销|WEALTH|O|P||0.000000||602103|wealth_open|
"""
_KINDS = {"demand": K_DEMAND, "time": K_TIME, "notice": K_NOTICE, "fx": K_FX, "loan": K_LOAN, "debit": K_DEBIT,
          "credit": K_CREDIT, "wealth_open": K_WEALTH_OPEN, "wealth_term": K_WEALTH_TERM}


def _parse_products() -> list[Product]:
    out = []
    for line in _PRODUCT_TABLE.strip().splitlines():
        code, name, cat_code, cat_name, line_, side, ctype, term, rate, gl_int, gl_fee, kind, gl_bal = line.split("|")
        out.append(Product(code, name, cat_code, cat_name, line_, side, ctype, int(term) if term else None, rate,
                           gl_int or None, gl_fee or None, _KINDS[kind], gl_bal or None))
    return out


PRODUCTS: list[Product] = _parse_products()
PRODUCT_INDEX = {p.code: i for i, p in enumerate(PRODUCTS)}
CARD_PRODUCT_BY_TIER = {"S": "C2001", "G": "C2002", "P": "C2003", "D": "C2004"}


def rate_micro(text_rate: str) -> int:
    whole, _, frac = text_rate.partition(".")
    return int(whole) * 1_000_000 + int((frac + "000000")[:6])


# --- rate environment -------------------------------------------------------------------------------------------
@dataclass
class Rates:
    """Day-indexed rates in millionths: LPR 1y/5y, the cut applied to list rates, the FTP curves, FX."""

    lpr_1y: np.ndarray
    lpr_5y: np.ndarray
    list_cut: np.ndarray  # subtracted from term-deposit and loan list rates from the cut day on
    ftp_tenors: list[str]
    ftp_terms: np.ndarray
    ftp_currencies: list[str]  # the currencies treasury prices (HKD and EUR accounts have no curve of their own)
    ftp_first_day: int  # the first curve day (negative: the history delivered with the first business date)
    ftp: np.ndarray  # (curve currencies, days from ftp_first_day to the horizon end, tenors)
    fx: np.ndarray  # (days, currencies) CNY per unit in millionths


FTP_TENORS = ["ON", "1M", "3M", "6M", "1Y", "2Y", "3Y", "5Y", "10Y"]
FTP_TERMS = np.array([0, 1, 3, 6, 12, 24, 36, 60, 120])
FTP_CURRENCIES = ["CNY", "USD"]
FTP_DAY_COUNT = "A360"  # both curves are quoted ACT/360, as the money markets they come from
# 2025 levels: money-market and NCD rates of 1.4–1.7 %, a bank's funding spread on top, a flat curve.
FTP_BASE = np.array([0.0140, 0.0150, 0.0157, 0.0162, 0.0168, 0.0176, 0.0184, 0.0198, 0.0220])
# USD: SOFR and term funding of 2025 (about 4.3 %) plus the bank's spread; it does not follow the LPR cut.
FTP_BASE_USD = np.array([0.0433, 0.0436, 0.0440, 0.0443, 0.0446, 0.0451, 0.0456, 0.0466, 0.0486])
# The FTP system went live this many years before the first business date: its curve history is delivered once, with
# the first day's curve (a 5-year deposit opened earlier has no curve of its own day and is priced on a fallback).
FTP_HISTORY_YEARS = 4
# RMB rates fell through the years before the horizon: the CNY curve stood this much higher per year back.
FTP_HISTORY_DRIFT_PER_YEAR = 0.0025


def _wander(rng: np.random.Generator, days: int, start: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """AR(1) level and slope noise of a curve over ``days`` days (a recursion over days, not rows)."""
    level = np.zeros(days)
    slope = np.zeros(days)
    eps_l = rng.normal(0, 0.00004, days)
    eps_s = rng.normal(0, 0.00002, days)
    level[0] = start
    for t in range(1, days):
        level[t] = 0.97 * level[t - 1] + eps_l[t]
        slope[t] = 0.97 * slope[t - 1] + eps_s[t]
    return level, slope


def _curve_micro(base: np.ndarray, shift: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Curves (days, tenors) in millionths from a base, a parallel shift and a slope, upward sloping by ≥ 0.5 bp."""
    steps = np.linspace(0, 1, len(base))
    curve = base[None, :] + shift[:, None] + slope[:, None] * steps[None, :]
    curve = np.maximum.accumulate(curve, axis=1)
    ftp = np.rint(curve * 1e6).astype(np.int64)
    return np.maximum(ftp, np.concatenate([ftp[:, :1], ftp[:, :-1] + 50], axis=1))


def build_rates(rng: np.random.Generator, cal: Calendar) -> Rates:
    days = cal.days
    # One 10 bp cut of the LPR (and of list rates) on the 20th of the fifth month of the horizon, as in May 2025.
    cut_day = days
    month5 = np.flatnonzero((cal.month_id == 4) & (cal.day_of_month == 20))
    if len(month5):
        cut_day = int(month5[0])
    after = np.arange(days) >= cut_day
    lpr_1y = np.where(after, 3_000_0, 3_100_0) * 1  # 3.10 % → 3.00 %
    lpr_5y = np.where(after, 3_500_0, 3_600_0) * 1
    list_cut = np.where(after, 1000, 0)  # 0.10 %
    # FTP: the CNY curve follows the cut and wanders a little (AR(1) level and slope noise), always upward sloping.
    level, slope = _wander(rng, days)
    cny = _curve_micro(FTP_BASE, level - np.where(after, 0.0010, 0.0), slope)
    # FX mid rates (中间价): published on working days, carried over weekends.
    working = cal.weekday < 5
    n = int(working.sum()) + 1  # [0] is the last rate published before the horizon
    usd = 7.18 * np.exp(np.cumsum(rng.normal(0.00002, 0.0012, n)))
    eur_usd = 1.08 * np.exp(np.cumsum(rng.normal(0.0001, 0.0035, n)))
    hkd = usd / (7.80 * np.exp(rng.normal(0, 0.0004, n)))
    eur = usd * eur_usd
    published = np.cumsum(working)
    fx = np.zeros((days, len(CURRENCIES)), dtype=np.int64)
    fx[:, CNY] = 1_000_000
    for col, series in ((USD, usd), (HKD, hkd), (EUR, eur)):
        fx[:, col] = np.rint(series[published] * 1e6).astype(np.int64)
    # Drawn after the horizon's series so that these stay as they were: the CNY history (the same noise run backwards
    # from the first day, plus the drift of falling rates) and the USD curve over history and horizon.
    history = round(FTP_HISTORY_YEARS * 365.25)
    back_level, back_slope = _wander(rng, history + 1, start=level[0])
    years_back = np.arange(history, 0, -1) / 365.25
    cny_history = _curve_micro(FTP_BASE, back_level[:0:-1] + years_back * FTP_HISTORY_DRIFT_PER_YEAR,
                               back_slope[:0:-1])
    usd_level, usd_slope = _wander(rng, history + days)
    usd_curve = _curve_micro(FTP_BASE_USD, usd_level, usd_slope)
    ftp = np.stack([np.concatenate([cny_history, cny]), usd_curve])
    return Rates(lpr_1y=lpr_1y.astype(np.int64), lpr_5y=lpr_5y.astype(np.int64), list_cut=list_cut.astype(np.int64),
                 ftp_tenors=FTP_TENORS, ftp_terms=FTP_TERMS, ftp_currencies=FTP_CURRENCIES, ftp_first_day=-history,
                 ftp=ftp, fx=fx)


def product_base_rate(product: int, day: np.ndarray | int, rates: Rates) -> np.ndarray:
    """The product's list rate (millionths) on ``day`` (clipped into the horizon): term deposits and loans follow
    the cut."""
    p = PRODUCTS[product]
    base = rate_micro(p.base_rate)
    d = np.clip(np.asarray(day), 0, len(rates.list_cut) - 1)
    if p.kind in (K_TIME, K_LOAN):
        return base - rates.list_cut[d]
    return np.full(np.shape(d), base, dtype=np.int64)


# --- chart of accounts ------------------------------------------------------------------------------------------
# (code, name, type A/L/E/I/X, parent)
CHART: list[tuple[str, str, str, str | None]] = [
    ("1001", "库存现金", "A", None),
    ("1003", "存放中央银行款项", "A", None),
    ("1011", "存放同业", "A", None),
    ("1132", "应收利息", "A", None),
    ("1221", "其他应收款", "A", None),
    ("1303", "贷款", "A", None),
    ("130301", "个人住房贷款", "A", "1303"),
    ("130302", "个人消费贷款", "A", "1303"),
    ("130303", "个人经营贷款", "A", "1303"),
    ("130304", "流动资金贷款", "A", "1303"),
    ("130305", "固定资产贷款", "A", "1303"),
    ("130306", "信用卡透支", "A", "1303"),
    ("1304", "贷款损失准备", "A", None),
    ("1601", "固定资产", "A", None),
    ("1602", "累计折旧", "A", None),
    ("2011", "吸收存款", "L", None),
    ("201101", "个人活期存款", "L", "2011"),
    ("201102", "个人定期存款", "L", "2011"),
    ("201103", "单位活期存款", "L", "2011"),
    ("201104", "单位定期存款", "L", "2011"),
    ("201105", "单位通知存款", "L", "2011"),
    ("201106", "外币存款", "L", "2011"),
    ("2211", "应付职工薪酬", "L", None),
    ("2231", "应付利息", "L", None),
    ("2241", "其他应付款", "L", None),
    ("4001", "实收资本", "E", None),
    ("4101", "盈余公积", "E", None),
    ("4104", "利润分配", "E", None),
    ("6011", "利息收入", "I", None),
    ("601101", "个人住房贷款利息收入", "I", "6011"),
    ("601102", "个人消费贷款利息收入", "I", "6011"),
    ("601103", "个人经营贷款利息收入", "I", "6011"),
    ("601104", "流动资金贷款利息收入", "I", "6011"),
    ("601105", "固定资产贷款利息收入", "I", "6011"),
    ("601106", "信用卡透支利息收入", "I", "6011"),
    ("6021", "手续费及佣金收入", "I", None),
    ("602101", "结算与清算手续费收入", "I", "6021"),
    ("602102", "银行卡手续费收入", "I", "6021"),
    ("602103", "代理业务手续费收入", "I", "6021"),
    ("602104", "信用卡分期手续费收入", "I", "6021"),
    ("6411", "利息支出", "X", None),
    ("641101", "个人活期存款利息支出", "X", "6411"),
    ("641102", "个人定期存款利息支出", "X", "6411"),
    ("641103", "单位活期存款利息支出", "X", "6411"),
    ("641104", "单位定期存款利息支出", "X", "6411"),
    ("641105", "单位通知存款利息支出", "X", "6411"),
    ("641106", "外币存款利息支出", "X", "6411"),
    ("6421", "手续费及佣金支出", "X", None),
    ("6601", "业务及管理费", "X", None),
    ("660101", "职工薪酬", "X", "6601"),
    ("660102", "租赁费", "X", "6601"),
    ("660103", "电子设备运转费", "X", "6601"),
    ("660104", "折旧费", "X", "6601"),
    ("660105", "业务宣传费", "X", "6601"),
    ("660106", "水电费", "X", "6601"),
    ("660107", "差旅费", "X", "6601"),
    ("660108", "邮电通讯费", "X", "6601"),
    ("660109", "安全防卫费", "X", "6601"),
    ("660110", "钞币运送费", "X", "6601"),
    ("6701", "资产减值损失", "X", None),
]


def chart_table() -> Cols:
    return {
        "account_code": text([c[0] for c in CHART]),
        "account_name": text([c[1] for c in CHART]),
        "account_type": text([c[2] for c in CHART]),
        "parent_account_code": text([c[3] or "" for c in CHART]),
        "account_level": np.array([1 if c[3] is None else 2 for c in CHART], dtype=np.int64),
    }


# --- cost centres -----------------------------------------------------------------------------------------------
DEPT_NAMES = {"RET": "零售业务", "CORP": "公司业务", "CARD": "信用卡中心", "OPS": "运营管理", "IT": "信息科技",
              "ADM": "综合管理"}
HO_CENTRES = [("11", "IT"), ("12", "OPS"), ("13", "ADM"), ("14", "CARD"), ("15", "RET"), ("16", "CORP")]


@dataclass
class CostCentres:
    code: np.ndarray
    name: np.ndarray
    branch: np.ndarray  # index into branches
    department: np.ndarray  # STR
    shared: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.code)


def build_cost_centres(branches: Branches) -> CostCentres:
    code, name, branch, dept, shared = [], [], [], [], []

    def add(b: int, suffix: str, department: str, is_shared: bool) -> None:
        code.append(f"{branches.code[b]}{suffix}")
        name.append(f"{branches.name[b]}{DEPT_NAMES[department]}部")
        branch.append(b)
        dept.append(department)
        shared.append(is_shared)

    for b in range(len(branches)):
        level = branches.level[b]
        if level == LEVEL_HO:
            for suffix, department in HO_CENTRES:
                add(b, suffix, department, True)
        elif level == LEVEL_REGION:
            add(b, "03", "ADM", True)
        elif level == LEVEL_BRANCH:
            add(b, "01", "RET", False)
            add(b, "02", "CORP", False)
        else:
            add(b, "01", "RET", False)
    return CostCentres(code=text(code), name=text(name), branch=np.array(branch), department=text(dept),
                       shared=np.array(shared))


def cost_centre_table(cc: CostCentres, branches: Branches) -> Cols:
    return {
        "cost_centre_code": cc.code,
        "cost_centre_name": cc.name,
        "branch_code": branches.code[cc.branch],
        "department_code": cc.department,
        "cost_centre_type": np.where(cc.shared, "S", "D").astype(STR),
    }
