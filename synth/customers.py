"""The customer base (CIF): personal and corporate customers, their hidden drivers (wealth, activity, income) and the
relationship-manager roster that serves the affluent and every corporate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth import vocab
from synth.calendar import Calendar
from synth.frame import NO_DAY
from synth.ids import STR, cat, credit_codes, digits, mobile_numbers, resident_ids, text, unique_sequences
from synth.reference import LEVEL_BRANCH, LEVEL_SUB, Branches

RATINGS = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"]
RATING_D = RATINGS.index("D")
# Annual probability of default by rating (drives loan delinquency).
RATING_PD = np.array([0.0003, 0.001, 0.0025, 0.008, 0.02, 0.05, 0.15, 0.3, 0.45, 1.0])
CORPORATE_SHARE = 0.05
AFFLUENT_AUM = 200_000.0  # CNY: retail customers above this get a relationship manager
NEW_CUSTOMERS_PER_YEAR = 0.10  # of the base, arriving during the horizon
PAYDAYS = np.array([5, 10, 15, 20, 25, 31])  # 31 = last working day of the month


@dataclass
class Customers:
    corporate: np.ndarray
    cif_no: np.ndarray
    name: np.ndarray
    id_type: np.ndarray
    id_number: np.ndarray
    gender: np.ndarray
    birth_day: np.ndarray  # day index (birth or establishment)
    industry: np.ndarray
    group_code: np.ndarray
    household_code: np.ndarray
    home_branch: np.ndarray
    open_day: np.ndarray
    first_update_day: np.ndarray  # last_update_date of the record in the first delivery
    mobile: np.ndarray
    address: np.ndarray
    rating: np.ndarray  # index into RATINGS at the start
    dormant: np.ndarray  # inactive at the start (睡眠户)
    wealth: np.ndarray  # target assets with the bank, CNY
    wealth_rank: np.ndarray  # 0..1 within its segment
    activity: np.ndarray  # multiplier on transaction frequency
    age: np.ndarray
    salaried: np.ndarray
    payday: np.ndarray
    city: np.ndarray  # index into vocab.CITIES

    def __len__(self) -> int:
        return len(self.cif_no)


def _zipf_choice(rng: np.random.Generator, n_items: int, size: int, exponent: float = 1.0) -> np.ndarray:
    weights = 1.0 / np.arange(1, n_items + 1) ** exponent
    return rng.choice(n_items, size=size, p=weights / weights.sum())


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    surnames = text(vocab.SURNAMES)[_zipf_choice(rng, len(vocab.SURNAMES), n, 0.9)]
    given = text(vocab.GIVEN_CHARS)
    first = given[rng.integers(0, len(given), n)]
    second = given[rng.integers(0, len(given), n)]
    two = rng.random(n) < 0.7
    return cat(surnames, first, np.where(two, second, text([""] * n) if n else text([])))


def company_names(rng: np.random.Generator, city: np.ndarray, industry: np.ndarray) -> np.ndarray:
    n = len(city)
    cities = text([c[0] for c in vocab.CITIES])[city]
    brand = text(vocab.BRAND_WORDS)[rng.integers(0, len(vocab.BRAND_WORDS), n)]
    words = np.empty(n, dtype=STR)
    for i, (_, names, _) in enumerate(vocab.INDUSTRIES):
        rows = industry == i
        words[rows] = text(names)[rng.integers(0, len(names), int(rows.sum()))]
    suffix = text(vocab.COMPANY_SUFFIX)[rng.choice(len(vocab.COMPANY_SUFFIX), n, p=[0.7, 0.2, 0.1])]
    return cat(cities, brand, words, suffix)


def addresses(rng: np.random.Generator, city: np.ndarray) -> np.ndarray:
    n = len(city)
    out = np.empty(n, dtype=STR)
    for c, (name, _, districts) in enumerate(vocab.CITIES):
        rows = np.flatnonzero(city == c)
        if not len(rows):
            continue
        k = len(rows)
        district = text(districts)[rng.integers(0, len(districts), k)]
        road = text(vocab.ROADS)[rng.integers(0, len(vocab.ROADS), k)]
        community = text(vocab.COMMUNITY)[rng.integers(0, len(vocab.COMMUNITY), k)]
        out[rows] = cat(name, "市", district, "区", road, rng.integers(1, 999, k).astype(STR), "号",
                        community, rng.integers(1, 30, k).astype(STR), "栋",
                        rng.integers(101, 2999, k).astype(STR), "室")
    return out


def build_customers(rng: np.random.Generator, scale: float, cal: Calendar, branches: Branches) -> Customers:
    n = max(50, round(100_000 * scale))
    corporate = rng.random(n) < CORPORATE_SHARE
    n_new = round(n * NEW_CUSTOMERS_PER_YEAR * min(cal.days, 365) / 365)
    new = np.zeros(n, dtype=bool)
    new[rng.choice(n, size=n_new, replace=False)] = True

    # Age (personal) or years since establishment (corporate); wealth grows with age.
    age = np.where(corporate, rng.gamma(2.0, 5.0, n) + 1, np.clip(rng.normal(42, 14, n), 18, 88))
    log_w = np.where(
        corporate,
        rng.normal(np.log(400_000), 1.5, n),
        rng.normal(np.log(15_000), 1.7, n) + 0.4 * (age - 40) / 20,
    )
    dormant = ~corporate & ~new & (rng.random(n) < 0.03)
    log_w = np.where(dormant, rng.normal(np.log(300), 1.0, n), log_w)
    wealth = np.exp(log_w)
    wealth_rank = np.zeros(n)
    for seg in (corporate, ~corporate):
        idx = np.flatnonzero(seg)
        wealth_rank[idx[np.argsort(wealth[idx])]] = (np.arange(len(idx)) + 0.5) / max(len(idx), 1)
    personal_activity = rng.lognormal(0, 0.7, n) * np.where(age < 35, 1.25, np.where(age > 65, 0.6, 1.0))
    personal_activity /= max(float(np.mean(personal_activity[~dormant & ~corporate])), 1e-9) if n else 1.0
    # Bigger companies transact more, within what one operator's account sees in a day.
    corporate_activity = np.minimum(np.clip((wealth / 400_000) ** 0.3, 0.2, 4) * rng.lognormal(0, 0.5, n), 4)
    activity = np.where(dormant, 0.0, np.where(corporate, corporate_activity, personal_activity))
    salaried = ~corporate & (age >= 22) & (age <= 60) & (rng.random(n) < 0.7) & ~dormant
    payday = rng.choice(PAYDAYS, size=n, p=[0.12, 0.3, 0.2, 0.08, 0.15, 0.15])

    # Home branch: corporates at branches (支行), personal customers at branches and sub-branches.
    branch_rows = branches.of_level(LEVEL_BRANCH)
    outlet_rows = np.concatenate([branch_rows, branches.of_level(LEVEL_SUB)])
    outlet_w = np.concatenate([np.full(len(branch_rows), 2.0), np.full(len(outlet_rows) - len(branch_rows), 1.0)])
    home = np.where(
        corporate,
        rng.choice(branch_rows, size=n),
        rng.choice(outlet_rows, size=n, p=outlet_w / outlet_w.sum()),
    )
    city = branches.city_index[home]

    # Customer since: existing customers years back, new ones on an acquisition-weighted day of the horizon.
    tenure_years = np.minimum(rng.exponential(7.0, n) + 0.1, np.maximum(age - 18, 0.2))
    tenure_years = np.where(corporate, np.minimum(rng.exponential(6.0, n) + 0.1, age), tenure_years)
    open_day = -np.ceil(tenure_years * 365.25).astype(np.int64)
    w = cal.acquisition()
    open_day[new] = rng.choice(cal.days, size=n_new, p=w / w.sum())
    first_update = np.where(open_day < 0, open_day + (rng.random(n) * -open_day).astype(np.int64), open_day)

    birth_day = -np.floor(age * 365.25).astype(np.int64) + rng.integers(-180, 180, n)
    birth64 = cal.to_dates64(birth_day)
    y = birth64.astype("datetime64[Y]").astype(np.int64) + 1970
    mth = (birth64.astype("datetime64[M]") - birth64.astype("datetime64[Y]")).astype(np.int64) + 1
    dd = (birth64 - birth64.astype("datetime64[M]")).astype(np.int64) + 1
    birth_ymd = y * 10000 + mth * 100 + dd
    area = np.array([int(c[1]) for c in vocab.CITIES])[city]

    # Identification: resident ID (01) for most people, passports (03) and HK/Macau permits (04) for a few,
    # unified social credit codes (21) for companies.
    kind = np.where(corporate, 3, rng.choice(3, size=n, p=[0.975, 0.015, 0.01]))
    seq = unique_sequences(rng, area * 100_000_000 + birth_ymd, 1000)
    id_number = np.empty(n, dtype=STR)
    person = kind == 0
    id_number[person] = resident_ids(area[person], birth_ymd[person], seq[person])
    for k, prefix in ((1, "E"), (2, "H")):
        rows = kind == k
        serial = 10_000_000 + np.arange(int(rows.sum())) * 997 + rng.integers(0, 997, int(rows.sum()))
        id_number[rows] = cat(prefix, serial.astype(STR))
    id_number[corporate] = credit_codes(rng, area[corporate])
    id_type = text(["01", "03", "04", "21"])[kind]
    gender = np.where(person, np.where(seq % 2 == 1, "M", "F"), np.where(rng.random(n) < 0.5, "M", "F"))
    gender = np.where(corporate, "", gender).astype(STR)

    industry_w = np.array([i[2] for i in vocab.INDUSTRIES])
    industry = np.where(corporate, rng.choice(len(vocab.INDUSTRIES), size=n, p=industry_w / industry_w.sum()), -1)
    names = np.empty(n, dtype=STR)
    names[~corporate] = person_names(rng, int((~corporate).sum()))
    names[corporate] = company_names(rng, city[corporate], industry[corporate])
    industry_code = np.where(corporate, text([i[0] for i in vocab.INDUSTRIES])[np.maximum(industry, 0)], "")

    # Households (家庭): some people share one with one or two others, at the head's address.
    address = addresses(rng, city)
    household = np.full(n, "", dtype=STR)
    persons = np.flatnonzero(~corporate)
    heads = persons[rng.random(len(persons)) < 0.15]
    others = np.setdiff1d(persons, heads)
    members = rng.permutation(others)[: min(len(others), int(len(heads) * 1.3))]
    member_head = heads[rng.integers(0, max(len(heads), 1), len(members))] if len(heads) else members[:0]
    hh_code = cat("H", digits(np.arange(len(heads)) + 31_000_000_001, 11))
    household[heads] = hh_code
    if len(heads):
        household[members] = hh_code[np.searchsorted(heads, member_head)]
        address[members] = address[member_head]
    # Corporate groups (集团): a few companies belong to groups of 2–5.
    group = np.full(n, "", dtype=STR)
    corps = np.flatnonzero(corporate)
    in_group = corps[rng.random(len(corps)) < 0.12]
    if len(in_group):
        n_groups = max(1, len(in_group) // 3)
        group[in_group] = cat("G", digits(rng.integers(0, n_groups, len(in_group)) + 5_000_001, 11))

    mobile = mobile_numbers(rng, n)
    mobile = np.where(corporate & (rng.random(n) < 0.2), "", mobile).astype(STR)
    rating = np.where(
        corporate,
        rng.choice(7, size=n, p=[0.02, 0.08, 0.2, 0.35, 0.2, 0.1, 0.05]),
        rng.choice([1, 2, 3, 4, 5], size=n, p=[0.07, 0.3, 0.45, 0.15, 0.03]),
    )
    # CIF numbers grow with the customer-since date, as a core system hands them out.
    order = np.lexsort((np.arange(n), open_day))
    serial = np.empty(n, dtype=np.int64)
    serial[order] = 10_000_000 + np.arange(n) * 13 + rng.integers(0, 13, n)
    cif_no = cat("100", digits(serial, 9))
    return Customers(
        corporate=corporate, cif_no=cif_no, name=names, id_type=id_type, id_number=id_number, gender=gender,
        birth_day=birth_day, industry=industry_code.astype(STR), group_code=group, household_code=household,
        home_branch=home, open_day=open_day, first_update_day=first_update, mobile=mobile, address=address,
        rating=rating, dormant=dormant, wealth=wealth, wealth_rank=wealth_rank, activity=activity, age=age,
        salaried=salaried, payday=payday, city=city,
    )


# --- relationship managers --------------------------------------------------------------------------------------
@dataclass
class Managers:
    rm_id: np.ndarray
    name: np.ndarray
    branch: np.ndarray
    corporate: np.ndarray  # serves corporates (C) or personal customers (P)
    grade: np.ndarray
    hire_day: np.ndarray
    leave_day: np.ndarray  # NO_DAY = still employed at the end
    successor: np.ndarray  # who takes over the book on leaving (-1 none)

    def __len__(self) -> int:
        return len(self.rm_id)


@dataclass
class RmAssignment:
    initial: np.ndarray  # per customer: index into Managers or -1
    change_cust: np.ndarray  # reassignment events
    change_day: np.ndarray
    change_rm: np.ndarray


RETAIL_LEAVER_DAYS = 80  # at least one retail RM leaves in each such slice of the horizon (if the bank has one)


def build_managers(
    rng: np.random.Generator, cal: Calendar, branches: Branches, customers: Customers
) -> tuple[Managers, RmAssignment]:
    """RMs at each branch (支行): one retail RM per ~250 affluent customers, one corporate RM per ~40 companies.

    About a tenth leave during a year, and a retail RM in every RETAIL_LEAVER_DAYS of the horizon (up to a third of
    them); each is
    replaced by a hire a few weeks before, who takes over the book.
    """
    branch_of = branches.branch_of()
    cust_branch = branch_of[customers.home_branch]
    managed = customers.corporate | (customers.wealth >= AFFLUENT_AUM)
    rows: list[tuple[int, bool]] = []
    book: list[float] = []  # affluent customers per retail RM of the branch (0 for corporate RMs)
    for b in branches.of_level(LEVEL_BRANCH):
        here = cust_branch == b
        n_corp = int((here & customers.corporate).sum())
        n_aff = int((here & managed & ~customers.corporate).sum())
        k_aff = max(1, round(n_aff / 250))
        rows += [(b, False)] * k_aff + [(b, True)] * max(1, round(n_corp / 40))
        book += [n_aff / k_aff] * k_aff + [0.0] * max(1, round(n_corp / 40))
    n = len(rows)
    branch = np.array([r[0] for r in rows])
    corporate = np.array([r[1] for r in rows])
    hire = -np.ceil(rng.uniform(0.5, 15, n) * 365.25).astype(np.int64)
    leaves = rng.random(n) < 0.10 * min(cal.days, 365) / 365
    if not leaves.any() and cal.days > 40:
        # even a small bank shows one RM leaving, so that a book changes hands in the middle of a month
        leaves[rng.integers(n)] = True
    leave = np.where(leaves, rng.integers(20, max(cal.days, 21), n), NO_DAY)
    # Even a small bank sees retail books change hands through the year: a retail RM leaving in each slice of
    # RETAIL_LEAVER_DAYS (before the last 100 days, the latest slice first) unless one already does, at most a third
    # of the retail RMs, so the customers who follow their RM (rm_left, see choose_churners) appear early and late.
    retail = np.flatnonzero(np.array(book) > 0)
    budget = max(2, len(retail) // 3)  # a third of the retail RMs at most (two in a small bank)
    for k in reversed(range(max((cal.days - 100) // RETAIL_LEAVER_DAYS, 0))):  # the latest slice first
        lo, hi = 20 + k * RETAIL_LEAVER_DAYS, 20 + (k + 1) * RETAIL_LEAVER_DAYS
        staying = retail[~leaves[retail]]
        if budget and len(staying) and not (leaves[retail] & (leave[retail] >= lo) & (leave[retail] < hi)).any():
            budget -= 1
            weight = np.array(book)[staying]
            who = int(rng.choice(staying, p=weight / weight.sum()))  # a book of average size, not an empty one
            leaves[who] = True
            leave[who] = int(rng.integers(lo, hi))
    # Successors: hired 5–40 days before the leaver goes, same branch and line.
    k = int(leaves.sum())
    succ_rows = np.flatnonzero(leaves)
    branch = np.concatenate([branch, branch[succ_rows]])
    corporate = np.concatenate([corporate, corporate[succ_rows]])
    hire = np.concatenate([hire, leave[succ_rows] - rng.integers(5, 40, k)])
    leave = np.concatenate([leave, np.full(k, NO_DAY)])
    successor = np.full(n + k, -1)
    successor[succ_rows] = n + np.arange(k)
    total = n + k
    grade = text(["J1", "M1", "S1", "P1"])[rng.choice(4, size=total, p=[0.4, 0.35, 0.2, 0.05])]
    managers = Managers(
        rm_id=cat("RM", digits(100_001 + np.arange(total), 6)), name=person_names(rng, total), branch=branch,
        corporate=corporate, grade=grade, hire_day=hire, leave_day=leave, successor=successor,
    )

    # Initial book: a random original RM of the customer's branch and line.
    initial = np.full(len(customers), -1)
    for b in np.unique(cust_branch[managed]):
        for line in (False, True):
            who = np.flatnonzero(managed & (cust_branch == b) & (customers.corporate == line))
            pool = np.flatnonzero((branch[:n] == b) & (corporate[:n] == line))
            if len(who) and len(pool):
                initial[who] = rng.choice(pool, size=len(who))
    # A customer who arrives after the original RM left starts with the successor.
    for _ in range(4):
        gone = (initial >= 0) & (leave[np.maximum(initial, 0)] <= np.maximum(customers.open_day, 0))
        gone &= successor[np.maximum(initial, 0)] >= 0
        initial[gone] = successor[initial[gone]]
    # Follow each book through departures (a successor may leave again, hence the loop over generations).
    change_cust, change_day, change_rm = [], [], []
    current = initial.copy()
    for _ in range(4):
        holder_leaves = (current >= 0) & (managers.leave_day[np.maximum(current, 0)] < cal.days)
        holder_leaves &= managers.successor[np.maximum(current, 0)] >= 0
        if not holder_leaves.any():
            break
        who = np.flatnonzero(holder_leaves)
        day = managers.leave_day[current[who]]
        new_rm = managers.successor[current[who]]
        keep = day >= np.maximum(customers.open_day[who], 0)
        change_cust.append(who[keep])
        change_day.append(day[keep])
        change_rm.append(new_rm[keep])
        current[who] = new_rm
    assignment = RmAssignment(
        initial=initial,
        change_cust=np.concatenate(change_cust) if change_cust else np.array([], dtype=np.int64),
        change_day=np.concatenate(change_day) if change_day else np.array([], dtype=np.int64),
        change_rm=np.concatenate(change_rm) if change_rm else np.array([], dtype=np.int64),
    )
    return managers, assignment


@dataclass
class SharedCredit:
    """Shared-credit agreements (分润): a co-RM (协办) credited a share of a customer, the lead RM the rest."""

    cust: np.ndarray
    co_rm: np.ndarray  # index into Managers
    share: np.ndarray  # co-RM's share, millionths
    start_day: np.ndarray  # in force from (negative: before the horizon)


CO_RM_SHARES = np.array([200_000, 300_000, 400_000, 500_000])


def choose_shared_credit(rng: np.random.Generator, cal: Calendar, branches: Branches, customers: Customers,
                         managers: Managers, assignment: RmAssignment, eligible: np.ndarray) -> SharedCredit:
    """About a fifth of managed companies and one in twenty managed personal customers are shared with a second RM
    of the same branch who stays all year (公私联动 or a product specialist), half of them since before the horizon
    and half from a day inside it, so that an agreement also starts in the middle of a month."""
    branch_of = branches.branch_of()
    cust_branch = branch_of[customers.home_branch]
    successors = managers.successor[managers.successor >= 0]
    stays = (managers.leave_day == NO_DAY) & ~np.isin(np.arange(len(managers)), successors)
    managed = (assignment.initial >= 0) & eligible
    pick = managed & (rng.random(len(customers)) < np.where(customers.corporate, 0.20, 0.05))
    cust_l, co_l = [], []
    for who in np.flatnonzero(pick):
        pool = np.flatnonzero(stays & (managers.branch == cust_branch[who]))
        pool = pool[pool != assignment.initial[who]]
        if len(pool):
            cust_l.append(who)
            co_l.append(int(rng.choice(pool)))
    cust = np.array(cust_l, dtype=np.int64)
    k = len(cust)
    inside = rng.random(k) < 0.5
    start = np.where(inside, rng.integers(1, max(cal.days, 2), k), -rng.integers(30, 720, k))
    start = np.maximum(start, customers.open_day[cust]) if k else start
    return SharedCredit(cust=cust, co_rm=np.array(co_l, dtype=np.int64), share=rng.choice(CO_RM_SHARES, k),
                        start_day=start.astype(np.int64))


# Why a churner leaves (the generator's ground truth, in the manifest only): rate-seeking when a time deposit matures,
# a run of failed payments (service failure), the RM leaving, a competitor's salary account.
CHURN_CAUSES = ("rate_seeking", "service_failure", "rm_left", "competitor_salary")
CAUSE_RATE, CAUSE_SERVICE, CAUSE_RM, CAUSE_SALARY = range(len(CHURN_CAUSES))
RM_LEFT_FOLLOW = 0.35  # share of the customers whose RM left who follow within three months
RATE_SEEKING_SHARE = 0.3  # aimed share of leavers who go for a better rate when a deposit matures
SALARY_SHARE = 0.6  # of the other salaried leavers, the share whose salary moved to a competitor


def choose_churners(
    rng: np.random.Generator, cal: Calendar, customers: Customers, eligible: np.ndarray,
    term_cust: np.ndarray, term_maturity: np.ndarray, rm_change_cust: np.ndarray, rm_change_day: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """About 8 % of personal customers a year leave (流失): a churn day each (NO_DAY if they stay), whether the CIF
    is closed (True) or only falls dormant (False), and the cause (index into CHURN_CAUSES, -1 for stayers).

    Causes raise the odds of leaving and set the day: a customer whose RM left follows with probability
    RM_LEFT_FOLLOW 20-90 days after the change (``rm_change_cust`` / ``rm_change_day``); a rate-seeker leaves 1-20
    days after a time deposit matures (``term_cust`` / ``term_maturity``); the rest of the year's leavers, drawn
    among everyone eligible, lost their salary to a competitor or suffered failed payments, on any day."""
    n = len(customers)
    rate = 0.08 * min(cal.days, 365) / 365
    lo = np.maximum(customers.open_day, 0) + 120  # a new customer needs time to be seen leaving
    ok = eligible & ~customers.corporate & ~customers.dormant & (lo < cal.days - 1)
    leavers = int((ok & (rng.random(n) < rate / max(ok.mean(), 1e-9) * (~customers.corporate).mean())).sum())
    closed = rng.random(n) < 0.7
    last = cal.days - 2
    # the first maturity / RM change that can still lead to a departure inside the horizon
    rate_day = np.full(n, NO_DAY)
    delay = rng.integers(1, 21, len(term_cust))
    fits = (term_maturity >= lo[term_cust]) & (term_maturity + delay <= last)
    np.minimum.at(rate_day, term_cust[fits], (term_maturity + delay)[fits])
    rm_day = np.full(n, NO_DAY)
    delay = rng.integers(20, 91, len(rm_change_cust))
    fits = (rm_change_day + delay >= lo[rm_change_cust]) & (rm_change_day + delay <= last)
    np.minimum.at(rm_day, rm_change_cust[fits], (rm_change_day + delay)[fits])

    cause = np.full(n, -1)
    follow = ok & (rm_day != NO_DAY) & (rng.random(n) < RM_LEFT_FOLLOW)
    cause[follow] = CAUSE_RM
    seekers = ok & (rate_day != NO_DAY) & (cause < 0)
    p_seek = min(0.6, RATE_SEEKING_SHARE * leavers / max(int(seekers.sum()), 1))
    cause[seekers & (rng.random(n) < p_seek)] = CAUSE_RATE
    pool = np.flatnonzero(ok & (cause < 0))
    rest = rng.permutation(pool)[: max(leavers - int((cause >= 0).sum()), 0)]
    salary = customers.salaried[rest] & (rng.random(len(rest)) < SALARY_SHARE)
    cause[rest] = np.where(salary, CAUSE_SALARY, CAUSE_SERVICE)
    span = np.maximum(cal.days - 1 - lo, 1)
    any_day = lo + (rng.random(n) * span).astype(np.int64)
    day = np.select([cause == CAUSE_RATE, cause == CAUSE_RM, cause >= 0], [rate_day, rm_day, any_day], NO_DAY)
    return day.astype(np.int64), closed, cause
