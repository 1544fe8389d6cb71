"""Business-day calendars: which dates a bank's source systems work (and deliver) on.

A calendar is a YAML file ``contracts/calendars/<NAME>.yaml``: the weekend days, the public holidays (days off) and
the make-up workdays (调休: a weekend day worked instead). The bank profile (``contracts/bank.yaml``) names the
calendar of the bank and, where it differs, of each source system. Deliveries are expected on business days only;
month-end extracts come on the last business day of the month.

``is_business_day(d)`` and ``nth_business_day(year, month, n)`` answer for the bank's calendar (the profile's
``calendar``); pass ``calendar=`` a name or a ``BusinessCalendar`` for another one.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from contracts.errors import CrmwhError

CONTRACTS_DIR = Path(__file__).resolve().parent
CALENDARS_DIR = CONTRACTS_DIR / "calendars"
PROFILE_FILE = "bank.yaml"
ENV_PROFILE = "CRMWH_BANK_PROFILE"  # a bank profile other than contracts/bank.yaml
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
ONE_DAY = timedelta(days=1)


class CalendarError(CrmwhError, ValueError):
    """A calendar file is malformed or missing; the message names the file and the problem."""


@dataclass(frozen=True)
class BusinessCalendar:
    name: str
    description: str = ""
    weekend: frozenset[int] = frozenset()  # date.weekday() numbers: Monday 0 … Sunday 6
    holidays: dict[date, str] = field(default_factory=dict)  # days off (named)
    workdays: dict[date, str] = field(default_factory=dict)  # make-up workdays on a weekend (named)
    covers: tuple[int, int] | None = None  # first and last year whose holidays are listed

    @property
    def every_day(self) -> bool:
        """Every calendar day is a business day (no weekend, no holidays)."""
        return not self.weekend and not self.holidays

    def is_business_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() not in self.weekend

    def covers_year(self, year: int) -> bool:
        """Whether the holidays of ``year`` are listed (a calendar without holidays covers every year)."""
        return self.covers is None or self.covers[0] <= year <= self.covers[1]

    def business_days(self, year: int, month: int) -> list[date]:
        last = _stdlib_calendar.monthrange(year, month)[1]
        return [d for d in (date(year, month, day) for day in range(1, last + 1)) if self.is_business_day(d)]

    def nth_business_day(self, year: int, month: int, n: int) -> date:
        """The n-th business day of the month (1 = the first); a negative n counts from the end (-1 = the last)."""
        days = self.business_days(year, month)
        if n == 0 or abs(n) > len(days):
            raise CalendarError(f"calendar {self.name}: {year}-{month:02d} has {len(days)} business days, "
                                f"no business day number {n}")
        return days[n - 1] if n > 0 else days[n]

    def last_business_day(self, year: int, month: int) -> date:
        return self.nth_business_day(year, month, -1)

    def is_last_business_day_of_month(self, d: date) -> bool:
        return self.is_business_day(d) and self.last_business_day(d.year, d.month) == d

    def previous_business_day(self, d: date) -> date:
        d -= ONE_DAY
        while not self.is_business_day(d):
            d -= ONE_DAY
        return d

    def next_business_day(self, d: date) -> date:
        d += ONE_DAY
        while not self.is_business_day(d):
            d += ONE_DAY
        return d


EVERY_DAY = BusinessCalendar("ALL_DAYS", "every calendar day is a business day")


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CalendarError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def parse_calendar(path: Path) -> BusinessCalendar:
    where = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CalendarError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not raw.get("name"):
        raise CalendarError(f"{where}: a calendar is a mapping with a 'name'")
    unknown = set(raw) - {"name", "description", "weekend", "covers", "holidays", "workdays"}
    if unknown:
        raise CalendarError(f"{where}: unknown key(s) {sorted(unknown)}")
    if raw["name"] != path.stem:
        raise CalendarError(f"{where}: says name {raw['name']!r} but the file is {path.name}")
    weekend = set()
    for day in raw.get("weekend") or []:
        if str(day).lower() not in _WEEKDAYS:
            raise CalendarError(f"{where}: weekend day {day!r} is not one of {sorted(_WEEKDAYS)}")
        weekend.add(_WEEKDAYS[str(day).lower()])
    holidays: dict[date, str] = {}
    for h in raw.get("holidays") or []:
        start, end = _date(h.get("from"), where), _date(h.get("to", h.get("from")), where)
        if end < start:
            raise CalendarError(f"{where}: holiday {h.get('name')!r} ends before it starts")
        d = start
        while d <= end:
            holidays[d] = str(h.get("name", ""))
            d += ONE_DAY
    workdays = {_date(w.get("date"), where): str(w.get("name", "")) for w in raw.get("workdays") or []}
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise CalendarError(f"{where}: {both[0]} is both a holiday and a make-up workday")
    covers = raw.get("covers")
    if covers is not None and (not isinstance(covers, list) or len(covers) != 2 or covers[0] > covers[1]):
        raise CalendarError(f"{where}: covers is [first year, last year]")
    return BusinessCalendar(name=str(raw["name"]), description=str(raw.get("description", "")),
                            weekend=frozenset(weekend), holidays=holidays, workdays=workdays,
                            covers=(int(covers[0]), int(covers[1])) if covers else None)


@lru_cache(maxsize=32)
def load_calendar(name: str, directory: Path = CALENDARS_DIR) -> BusinessCalendar:
    """The calendar ``<directory>/<name>.yaml``."""
    path = directory / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in directory.glob("*.yaml"))
        raise CalendarError(f"no business-day calendar {name!r} (known: {', '.join(known)}); add {path}")
    return parse_calendar(path)


def _resolve(calendar: str | BusinessCalendar | None) -> BusinessCalendar:
    if isinstance(calendar, BusinessCalendar):
        return calendar
    if calendar is None:
        return bank_calendar()
    return load_calendar(calendar)


def profile_path() -> Path:
    """The bank profile in force: ``$CRMWH_BANK_PROFILE``, else ``contracts/bank.yaml``."""
    env = os.environ.get(ENV_PROFILE)
    return Path(env) if env else CONTRACTS_DIR / PROFILE_FILE


def bank_calendar() -> BusinessCalendar:
    """The calendar the bank profile names (``calendar``; every day when it names none)."""
    path = profile_path()
    try:
        name = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("calendar")
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        raise CalendarError(f"{path}: cannot read the bank profile's calendar: {exc}") from None
    return EVERY_DAY if name is None else load_calendar(str(name))


def is_business_day(d: date, calendar: str | BusinessCalendar | None = None) -> bool:
    """Whether ``d`` is a business day of ``calendar`` (default: the bank profile's calendar)."""
    return _resolve(calendar).is_business_day(d)


def nth_business_day(year: int, month: int, n: int, calendar: str | BusinessCalendar | None = None) -> date:
    """The n-th business day of the month (negative: from the end) of ``calendar`` (default: the bank's)."""
    return _resolve(calendar).nth_business_day(year, month, n)


def last_business_day(year: int, month: int, calendar: str | BusinessCalendar | None = None) -> date:
    return _resolve(calendar).last_business_day(year, month)
