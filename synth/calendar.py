"""The business calendar of a generation run: day indexes, month-ends and the activity patterns of a Chinese year.

Days are integers relative to the first business date (day 0); negative days lie before the horizon. Patterns are
multipliers on an average day: weekdays, the Spring Festival (春节) and the weeks before it, National Day golden week,
the big online shopping days (6.18, 11.11), month- and quarter-ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

# 春节 (first day of the lunar year); later/earlier years fall back to 1 February.
SPRING_FESTIVAL = {
    2019: date(2019, 2, 5), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
    2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
    2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
}

EPOCH = np.datetime64("1970-01-01", "D")


def spring_festival(year: int) -> date:
    return SPRING_FESTIVAL.get(year, date(year, 2, 1))


def to_datetime64(d: date) -> np.datetime64:
    return np.datetime64(d.isoformat(), "D")


def add_months(days64: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Calendar month arithmetic on datetime64[D]: the same day of month, clipped to the month's last day."""
    month = days64.astype("datetime64[M]")
    day_of_month = (days64 - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64)
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64) - 1
    return target.astype("datetime64[D]") + np.minimum(day_of_month, last)


@dataclass
class Calendar:
    start: date
    days: int
    dates: np.ndarray = field(init=False)  # datetime64[D], one per business date
    weekday: np.ndarray = field(init=False)  # 0 = Monday
    day_of_month: np.ndarray = field(init=False)
    month_id: np.ndarray = field(init=False)  # 0 for the first (possibly partial) month of the horizon
    month_end: np.ndarray = field(init=False)  # bool: last calendar day of its month
    month_first_day: np.ndarray = field(init=False)  # per month_id: first day index in the horizon
    month_last_day: np.ndarray = field(init=False)  # per month_id: last day index in the horizon
    yyyymmdd: np.ndarray = field(init=False)  # int64, e.g. 20250131

    def __post_init__(self) -> None:
        d0 = to_datetime64(self.start)
        self.dates = d0 + np.arange(self.days)
        self.weekday = ((self.dates - EPOCH).astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        months = self.dates.astype("datetime64[M]")
        self.day_of_month = (self.dates - months.astype("datetime64[D]")).astype(np.int64) + 1
        self.month_end = (self.dates + 1).astype("datetime64[M]") != months
        month_index = (months - months[0]).astype(np.int64)
        self.month_id = month_index
        n_months = int(month_index[-1]) + 1
        idx = np.arange(self.days)
        self.month_first_day = np.full(n_months, self.days, dtype=np.int64)
        np.minimum.at(self.month_first_day, month_index, idx)
        self.month_last_day = np.zeros(n_months, dtype=np.int64)
        np.maximum.at(self.month_last_day, month_index, idx)
        years = months.astype("datetime64[Y]").astype(np.int64) + 1970
        month_no = (months - months.astype("datetime64[Y]").astype("datetime64[M]")).astype(np.int64) + 1
        self.yyyymmdd = years * 10000 + month_no * 100 + self.day_of_month
        self._years = years
        self._month_no = month_no

    # --- conversions -------------------------------------------------------------------------------------------
    def date_of(self, day: int) -> date:
        return self.start + timedelta(days=int(day))

    def day_of(self, d: date) -> int:
        return (d - self.start).days

    def day_index(self, days64: np.ndarray) -> np.ndarray:
        """datetime64[D] → day index relative to the start."""
        return (days64 - to_datetime64(self.start)).astype(np.int64)

    def to_dates64(self, day_index: np.ndarray) -> np.ndarray:
        return to_datetime64(self.start) + np.asarray(day_index, dtype=np.int64)

    @property
    def n_months(self) -> int:
        return len(self.month_first_day)

    def month_end_days(self) -> np.ndarray:
        return np.flatnonzero(self.month_end)

    def business_dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    # --- patterns ----------------------------------------------------------------------------------------------
    def _festival_offset(self) -> np.ndarray:
        """Days since the nearest Spring Festival (negative before it)."""
        years = np.unique(self._years)
        fest = np.array(
            [to_datetime64(spring_festival(int(y))) for y in np.concatenate([years - 1, years, years + 1])]
        )
        diffs = (self.dates[:, None] - fest[None, :]).astype(np.int64)
        nearest = np.argmin(np.abs(diffs), axis=1)
        return diffs[np.arange(self.days), nearest]

    def _between(self, month: int, first: int, last: int) -> np.ndarray:
        return (self._month_no == month) & (self.day_of_month >= first) & (self.day_of_month <= last)

    def retail_activity(self) -> np.ndarray:
        """Relative number of retail core-banking transactions per day (mean about 1)."""
        f = np.array([1.0, 0.97, 0.97, 1.0, 1.12, 0.95, 0.85])[self.weekday]
        off = self._festival_offset()
        f = f * np.where((off >= -14) & (off < 0), 1.3, 1.0)
        f = f * np.where((off >= 0) & (off <= 6), 0.65, 1.0)
        f = f * np.where((off >= 7) & (off <= 14), 0.9, 1.0)
        f = f * np.where(self._between(10, 1, 7), 0.85, 1.0)
        f = f * np.where(self._between(11, 11, 11), 1.5, 1.0)
        f = f * np.where(self._between(6, 18, 18), 1.3, 1.0)
        f = f * np.where(self.day_of_month >= 28, 1.05, 1.0)
        return f

    def corporate_activity(self) -> np.ndarray:
        """Relative number of corporate transactions per day: office days, busy month- and quarter-ends."""
        f = np.array([1.0, 1.0, 1.0, 1.0, 1.05, 0.15, 0.1])[self.weekday]
        off = self._festival_offset()
        f = f * np.where((off >= -7) & (off < 0), 1.3, 1.0)
        f = f * np.where((off >= 0) & (off <= 6), 0.08, 1.0)
        f = f * np.where(self._between(10, 1, 7), 0.1, 1.0)
        last3 = self._days_to_month_end() < 3
        quarter_end_month = np.isin(self._month_no, [3, 6, 9, 12])
        f = f * np.where(last3, np.where(quarter_end_month, 1.8, 1.5), 1.0)
        return f

    def card_activity(self) -> np.ndarray:
        """Relative card spending per day: weekends, the festival run-up, golden week, 6.18 and 11.11."""
        f = np.array([0.95, 0.92, 0.95, 0.98, 1.1, 1.2, 1.1])[self.weekday]
        off = self._festival_offset()
        f = f * np.where((off >= -20) & (off < 0), 1.45, 1.0)
        f = f * np.where((off >= 0) & (off <= 6), 1.1, 1.0)
        f = f * np.where(self._between(10, 1, 7), 1.3, 1.0)
        f = f * np.where(self._between(11, 11, 11), 2.5, 1.0)
        f = f * np.where(self._between(6, 18, 18), 1.6, 1.0)
        return f

    def acquisition(self) -> np.ndarray:
        """Relative new-customer and new-deposit volume: the first-quarter campaign (开门红), office days."""
        f = np.array([1.1, 1.1, 1.1, 1.1, 1.1, 0.6, 0.4])[self.weekday]
        return f * np.where(self._month_no <= 3, 1.8, 1.0)

    def _days_to_month_end(self) -> np.ndarray:
        next_month = (self.dates.astype("datetime64[M]") + 1).astype("datetime64[D]")
        return (next_month - self.dates).astype(np.int64) - 1

    def quarter_end_window(self, days: int) -> np.ndarray:
        """The last ``days`` days of March, June, September and December."""
        return (self._days_to_month_end() < days) & np.isin(self._month_no, [3, 6, 9, 12])

    def festival_offset(self) -> np.ndarray:
        return self._festival_offset()

    def month_number(self) -> np.ndarray:
        """Calendar month 1–12 of each day."""
        return self._month_no

    def roll_back_to_weekday(self, days: np.ndarray) -> np.ndarray:
        """Day indexes moved back to the previous Friday when they fall on a weekend (payroll runs on office days)."""
        wd = (np.asarray(days) + int(self.weekday[0])) % 7
        return np.asarray(days) - np.where(wd == 5, 1, np.where(wd == 6, 2, 0))
