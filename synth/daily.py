"""Day-level tables computed with numpy: the balance rows of ACCT_BAL, the month's interest accruals, the daily loan
snapshot. (Expanding these in SQL costs several times more; here they are searchsorted lookups and repeats.)"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth.calendar import Calendar
from synth.frame import NO_DAY

_DAY_BITS = 20  # keys: account << 20 | (day + 2**19)
_DAY_OFFSET = 1 << 19


def _key(acct: np.ndarray, day: np.ndarray) -> np.ndarray:
    return (np.asarray(acct, dtype=np.int64) << _DAY_BITS) + (np.asarray(day, dtype=np.int64) + _DAY_OFFSET)


@dataclass
class EndOfDay:
    """End-of-day balance changes of every account (the day before the horizon for accounts already open)."""

    acct: np.ndarray
    day: np.ndarray
    bal: np.ndarray

    def __post_init__(self) -> None:
        order = np.argsort(_key(self.acct, self.day), kind="stable")
        self.acct, self.day, self.bal = self.acct[order], self.day[order], self.bal[order]
        self._keys = _key(self.acct, self.day)

    def balance_at(self, acct: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Balance at the end of ``day`` (0 before the account's first row)."""
        pos = np.searchsorted(self._keys, _key(acct, day), side="right") - 1
        ok = (pos >= 0) & (self.acct[np.maximum(pos, 0)] == acct)
        return np.where(ok, self.bal[np.maximum(pos, 0)], 0)


def balance_rows(cal: Calendar, eod: EndOfDay, open_day: np.ndarray, close_day: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(account, day, balance) of ACCT_BAL: every open account on the first day and on each month-end, and every
    account on a day its end-of-day balance changed (unsorted: the writer orders rows)."""
    idx = np.arange(len(open_day))
    snapshot_days = [0] + [int(m) for m in cal.month_end_days() if m > 0]
    snap = np.zeros(cal.days, dtype=bool)
    snap[snapshot_days] = True
    # a change on a snapshot day is covered by the snapshot, unless the account is no longer open at its end
    change = (eod.day >= 0) & (~snap[np.clip(eod.day, 0, cal.days - 1)] | (close_day[eod.acct] <= eod.day))
    acct_parts, day_parts, bal_parts = [eod.acct[change]], [eod.day[change]], [eod.bal[change]]
    for m in snapshot_days:
        rows = idx[(open_day <= m) & (close_day > m)]
        day = np.full(len(rows), m, dtype=np.int64)
        acct_parts.append(rows)
        day_parts.append(day)
        bal_parts.append(eod.balance_at(rows, day))
    return np.concatenate(acct_parts), np.concatenate(day_parts), np.concatenate(bal_parts)


@dataclass
class Segments:
    """Balance held over [start, end) and whether it accrues interest."""

    acct: np.ndarray
    start: np.ndarray
    end: np.ndarray
    bal: np.ndarray
    accruing: np.ndarray


def accruals(cal: Calendar, seg: Segments, rate_acct: np.ndarray, rate_day: np.ndarray, rate: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Interest accrued per account and month: (account, month, cents, days). ACT/360 on the end-of-day balance of
    each accruing day at the rate in force that day, rounded half up to the cent once per month."""
    keep = (seg.end > seg.start) & seg.accruing
    s_acct, s_start, s_end, s_bal = seg.acct[keep], seg.start[keep], seg.end[keep], seg.bal[keep]
    # cut each segment at month starts and at rate changes inside it
    month_starts = cal.month_first_day[1:]
    first_cut = np.searchsorted(month_starts, s_start, side="right")
    last_cut = np.searchsorted(month_starts, s_end, side="left")
    k = np.maximum(last_cut - first_cut, 0)
    owner = np.repeat(np.arange(len(s_acct)), k)
    within = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
    cuts_seg = [np.arange(len(s_acct)), owner]
    cuts_day = [s_start, month_starts[first_cut[owner] + within]]
    seg_keys = _key(s_acct, s_start)
    order = np.argsort(seg_keys)
    sorted_keys = seg_keys[order]
    inside = rate_day >= 0
    pos = np.searchsorted(sorted_keys, _key(rate_acct[inside], rate_day[inside]), side="right") - 1
    hit = pos >= 0
    cand = order[np.maximum(pos, 0)]
    hit &= (s_acct[cand] == rate_acct[inside]) & (s_end[cand] > rate_day[inside]) & (s_start[cand] < rate_day[inside])
    cuts_seg.append(cand[hit])
    cuts_day.append(rate_day[inside][hit])
    c_seg = np.concatenate(cuts_seg)
    c_day = np.concatenate(cuts_day)
    order = np.lexsort((c_day, c_seg))
    c_seg, c_day = c_seg[order], c_day[order]
    last = np.append(c_seg[1:] != c_seg[:-1], True)
    nxt = np.where(last, s_end[c_seg], np.roll(c_day, -1))
    n_days = nxt - c_day
    # the rate in force on the piece's first day
    r_order = np.argsort(_key(rate_acct, rate_day), kind="stable")
    r_keys = _key(rate_acct, rate_day)[r_order]
    r_pos = np.searchsorted(r_keys, _key(s_acct[c_seg], c_day), side="right") - 1
    piece_rate = rate[r_order][np.maximum(r_pos, 0)]
    amount = s_bal[c_seg] * piece_rate * n_days  # cents × millionths × days
    if len(amount) and (int(np.max(s_bal)) * int(np.max(rate)) * 31 >= 2**62):
        raise OverflowError("a balance is too large for exact integer accrual arithmetic")
    month = cal.month_id[np.clip(c_day, 0, cal.days - 1)]
    group = s_acct[c_seg].astype(np.int64) * cal.n_months + month
    g_order = np.argsort(group, kind="stable")
    group, amount, n_days = group[g_order], amount[g_order], n_days[g_order]
    starts = np.flatnonzero(np.append(True, group[1:] != group[:-1]))
    total = np.add.reduceat(amount, starts) if len(starts) else np.array([], dtype=np.int64)
    days = np.add.reduceat(n_days, starts) if len(starts) else np.array([], dtype=np.int64)
    keys = group[starts]
    cents = (total + 180_000_000) // 360_000_000  # half up: balances are never negative
    return keys // cal.n_months, keys % cal.n_months, cents, days


@dataclass
class LoanDays:
    loan: np.ndarray
    day: np.ndarray
    outstanding: np.ndarray
    dpd: np.ndarray
    five_class: np.ndarray  # 0 正常 1 关注 2 次级 3 可疑 4 损失
    pd_ppm: np.ndarray
    lgd_ppm: np.ndarray
    rate: np.ndarray


FIVE_CLASSES = ["正常", "关注", "次级", "可疑", "损失"]


def loan_days(seg_loan: np.ndarray, seg_from: np.ndarray, seg_to: np.ndarray, outstanding: np.ndarray,
              arrears: np.ndarray, due_day: np.ndarray, defaulted_before: np.ndarray, pd_ppm: np.ndarray,
              lgd_ppm: np.ndarray, loan_acct: np.ndarray, rate_acct: np.ndarray, rate_day: np.ndarray,
              rate: np.ndarray) -> LoanDays:
    """One row per loan and day it is open: days past due from the oldest unpaid due date, the five-category class
    that follows from them (a loan that defaulted stays at least 关注), PD and LGD consistent with the class."""
    n = np.maximum(seg_to - seg_from, 0)
    idx = np.repeat(np.arange(len(seg_loan)), n)
    day = seg_from[idx] + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
    in_arrears = arrears[idx] > 0
    dpd = np.where(in_arrears, np.maximum(day - np.where(in_arrears, due_day[idx], 0), 0), 0)
    cls = np.select([dpd > 360, dpd > 180, dpd > 90, (dpd > 0) | defaulted_before[idx]], [4, 3, 2, 1], 0)
    loan = seg_loan[idx]
    base_pd = pd_ppm[loan]
    pd = np.where(cls >= 2, 1_000_000, np.where(cls == 1, np.clip(3 * base_pd, 50_000, 250_000), base_pd))
    lgd = np.minimum(950_000, lgd_ppm[loan] + np.select([cls == 4, cls == 3, cls == 2], [300_000, 150_000, 50_000], 0))
    acct = loan_acct[loan]
    r_keys = _key(rate_acct, rate_day)
    r_order = np.argsort(r_keys, kind="stable")
    pos = np.searchsorted(r_keys[r_order], _key(acct, day), side="right") - 1
    return LoanDays(loan=loan, day=day, outstanding=outstanding[idx], dpd=dpd, five_class=cls, pd_ppm=pd,
                    lgd_ppm=lgd, rate=rate[r_order][np.maximum(pos, 0)])


__all__ = ["FIVE_CLASSES", "NO_DAY", "EndOfDay", "LoanDays", "Segments", "accruals", "balance_rows", "loan_days"]
