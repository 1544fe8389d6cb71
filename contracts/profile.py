"""The bank profile: what one bank's deliveries look like beyond the extract contracts (``contracts/bank.yaml``).

The contracts (``contracts/<system>/<extract>.yaml``) describe the extracts crmwh understands; the profile says
which of them this bank delivers and how:

- ``reporting_currency``: the currency every converted figure is in. Columns ending in ``_cny`` hold amounts in the
  reporting currency (the name is historical; one convention for the whole warehouse); the FX extract
  (``ref.exchange_rates``) gives each currency's rate to it, and the reporting currency itself at 1;
- ``currency_names``: labels of the currencies. The bank's currency list is not a code list: it is the currencies its
  FX extract delivers, and every currency column refers to it (a foreign key of the contracts);
- ``calendar``: the bank's business-day calendar (``contracts/calendars/<NAME>.yaml``); deliveries are expected on
  business days only, month-end extracts on the last business day of the month;
- ``office_calendar``: the calendar of the bank's offices, by which scheduled reports count business days (the
  monthly pack on the third business day); default: ``calendar``;
- ``systems``: the source systems the bank has (a system not listed delivers nothing, and nothing waits for it),
  and per system its file ``encoding`` (``utf-8``, ``gbk`` or ``gb18030``; files the contracts mark Chinese are
  read as GB18030, a superset of GBK, unless the profile says otherwise), its ``calendar``, the ``extracts`` it
  delivers (default: all of its contracts) and those sent only ``on_change`` (a day without the file means
  unchanged);
- ``codes``: code values the bank adds to a contract's code list (``<system>.<extract>.<column>``: code → label);
- ``optional_fields``: fields the bank cannot send (``<system>.<extract>.<column>``); only fields whose contract says
  what happens then (``if_missing``: a default loaded in their place, or empty, and the derivation downstream);
- ``engine``: ``duckdb`` (the default) or ``spark``, what ``crmwh build`` runs the dbt models on; ``spark``: the Spark
  settings (``master``, ``driver_memory``, ``executor_memory``, ``executor_instances``, ``executor_cores``,
  ``shuffle_partitions``, ``lake``: where the parquet copy of the raw layer lives, ``scratch``: where Spark writes
  during a build; docs/scale-out.md, "Running on a cluster").

``load_profile()`` reads the profile of the contracts folder; ``CRMWH_BANK_PROFILE`` names another file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contracts.business_calendar import (
    CALENDARS_DIR,
    ENV_PROFILE,
    EVERY_DAY,
    PROFILE_FILE,
    BusinessCalendar,
    load_calendar,
)
from contracts.errors import CrmwhError

ENCODINGS = ("utf-8", "gbk", "gb18030")
CHINESE_ENCODINGS = ("gbk", "gb18030")
DEFAULT_CHINESE_ENCODING = "gb18030"
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SYSTEM_KEYS = {"encoding", "calendar", "extracts", "on_change"}
_TOP_KEYS = {"bank", "reporting_currency", "currency_names", "calendar", "office_calendar", "systems", "codes",
             "optional_fields", "engine", "spark"}
ENGINES = ("duckdb", "spark")
_SPARK_KEYS = {"master", "driver_memory", "executor_memory", "executor_instances", "executor_cores",
               "shuffle_partitions", "lake", "scratch"}


class ProfileError(CrmwhError, ValueError):
    """The bank profile is malformed or does not fit the contracts; the message names the file and the problem."""


@dataclass(frozen=True)
class SystemProfile:
    name: str
    calendar: BusinessCalendar
    encoding: str | None = None  # None: the contracts' own (Chinese ones read as GB18030)
    extracts: tuple[str, ...] | None = None  # None: every extract of the system's contracts
    on_change: tuple[str, ...] = ()


@dataclass(frozen=True)
class SparkProfile:
    """Where and how the Spark engine runs (dbt_project/profiles.yml, output ``spark``); the defaults run it in this
    process on two cores."""

    master: str = "local[2]"
    driver_memory: str = "2g"
    executor_memory: str = "2g"
    executor_instances: int = 1
    executor_cores: int = 1
    shuffle_partitions: int = 4
    lake: str | None = None  # None: var/lake (crmwh/settings.py)
    # where Spark writes its tables and their export during a build (deleted after); None: beside the working copy.
    # On a cluster both this and the lake are on a filesystem the driver and every executor mount at the same path.
    scratch: str | None = None


@dataclass(frozen=True)
class BankProfile:
    bank: str
    reporting_currency: str
    currency_names: dict[str, str]
    calendar: BusinessCalendar
    systems: dict[str, SystemProfile]
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    optional_fields: tuple[str, ...] = ()  # <system>.<extract>.<column> the bank cannot send (contract if_missing)
    source_path: Path | None = None
    office_calendar: BusinessCalendar | None = None  # None: the bank's calendar
    engine: str = "duckdb"  # what `crmwh build` runs the dbt models on (ENGINES)
    spark: SparkProfile = field(default_factory=SparkProfile)

    @property
    def report_calendar(self) -> BusinessCalendar:
        """The calendar scheduled reports count business days in (the offices', else the bank's)."""
        return self.office_calendar or self.calendar

    def system(self, name: str) -> SystemProfile | None:
        """The system's profile; None when the bank does not have the system."""
        return self.systems.get(name)

    def encoding_for(self, system: str, contract_encoding: str) -> str:
        """The encoding the bank's files of ``system`` are read in, for a contract that says ``contract_encoding``."""
        sp = self.systems.get(system)
        if sp is not None and sp.encoding is not None:
            return sp.encoding
        return DEFAULT_CHINESE_ENCODING if contract_encoding in CHINESE_ENCODINGS else contract_encoding


def default_profile_path(contracts_dir: Path | None = None) -> Path:
    """``$CRMWH_BANK_PROFILE``, else ``bank.yaml`` of the contracts folder (the repository's when it has none)."""
    env = os.environ.get(ENV_PROFILE)
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    if contracts_dir is not None and (contracts_dir / PROFILE_FILE).is_file():
        return contracts_dir / PROFILE_FILE
    return here / PROFILE_FILE


def _calendar(name: Any, where: str, calendars_dir: Path) -> BusinessCalendar:
    if name is None:
        return EVERY_DAY
    if not isinstance(name, str):
        raise ProfileError(f"{where}: calendar is the name of a file under {calendars_dir}")
    try:
        return load_calendar(name, calendars_dir)
    except CrmwhError as exc:
        raise ProfileError(f"{where}: {exc}") from None


def _names(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"{where}: {key} is a list of extract names")
    return tuple(value)


def _spark(raw: Any, where: str) -> SparkProfile:
    if raw is None:
        return SparkProfile()
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: spark is a mapping of {sorted(_SPARK_KEYS)}")
    unknown = set(raw) - _SPARK_KEYS
    if unknown:
        raise ProfileError(f"{where}: spark: unknown key(s) {sorted(unknown)}; known: {sorted(_SPARK_KEYS)}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        kind = type(getattr(SparkProfile(), key))
        if key in ("lake", "scratch"):
            kind = str
        if kind is int and not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
            raise ProfileError(f"{where}: spark.{key} is a positive whole number, not {value!r}")
        if kind is str and not (isinstance(value, str) and value.strip()):
            raise ProfileError(f"{where}: spark.{key} is a text such as {getattr(SparkProfile(), key) or 'var/lake'!r}")
        values[key] = value
    return SparkProfile(**values)


def parse_profile(path: Path, calendars_dir: Path = CALENDARS_DIR) -> BankProfile:
    where = str(path)
    if not path.is_file():
        raise ProfileError(f"{where}: no bank profile there (set {ENV_PROFILE} or add the file; see "
                           "docs/onboarding.md)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProfileError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: a bank profile is a mapping")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(_TOP_KEYS)}")
    currency = raw.get("reporting_currency")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise ProfileError(f"{where}: reporting_currency must be an ISO 4217 code such as CNY, not {currency!r}")
    names = raw.get("currency_names") or {}
    if not isinstance(names, dict) or not all(isinstance(k, str) and _CURRENCY.match(k) for k in names):
        raise ProfileError(f"{where}: currency_names maps ISO 4217 codes to labels")
    calendar = _calendar(raw.get("calendar"), where, calendars_dir)
    systems_raw = raw.get("systems")
    if not isinstance(systems_raw, dict) or not systems_raw:
        raise ProfileError(f"{where}: systems lists the source systems the bank has (at least one)")
    systems: dict[str, SystemProfile] = {}
    for name, spec in systems_raw.items():
        spec = spec or {}
        sw = f"{where}: systems.{name}"
        if not isinstance(spec, dict):
            raise ProfileError(f"{sw}: a mapping of {sorted(_SYSTEM_KEYS)}")
        unknown = set(spec) - _SYSTEM_KEYS
        if unknown:
            raise ProfileError(f"{sw}: unknown key(s) {sorted(unknown)}; known: {sorted(_SYSTEM_KEYS)}")
        encoding = spec.get("encoding")
        if encoding is not None and encoding not in ENCODINGS:
            raise ProfileError(f"{sw}: encoding must be one of {list(ENCODINGS)}, not {encoding!r}")
        systems[name] = SystemProfile(
            name=name,
            calendar=_calendar(spec["calendar"], sw, calendars_dir) if "calendar" in spec else calendar,
            encoding=encoding,
            extracts=_names(spec["extracts"], sw, "extracts") if "extracts" in spec else None,
            on_change=_names(spec.get("on_change") or [], sw, "on_change"),
        )
    codes_raw = raw.get("codes") or {}
    codes: dict[str, dict[str, str]] = {}
    for key, values in codes_raw.items():
        if not isinstance(values, dict) or str(key).count(".") != 2:
            raise ProfileError(f"{where}: codes.{key}: codes are given as <system>.<extract>.<column>: "
                               "{code: label, ...}")
        codes[str(key)] = {str(k): str(v) for k, v in values.items()}
    optional = raw.get("optional_fields") or []
    if not isinstance(optional, list) or not all(isinstance(f, str) and f.count(".") == 2 for f in optional):
        raise ProfileError(f"{where}: optional_fields lists <system>.<extract>.<column> names")
    engine = raw.get("engine", "duckdb")
    if engine not in ENGINES:
        raise ProfileError(f"{where}: engine must be one of {list(ENGINES)}, not {engine!r}")
    return BankProfile(bank=str(raw.get("bank", "")), reporting_currency=currency, engine=engine,
                       spark=_spark(raw.get("spark"), where),
                       currency_names={k: str(v) for k, v in names.items()}, calendar=calendar, systems=systems,
                       codes=codes, optional_fields=tuple(optional), source_path=path,
                       office_calendar=(_calendar(raw["office_calendar"], where, calendars_dir)
                                        if "office_calendar" in raw else None))


def load_profile(contracts_dir: Path | None = None) -> BankProfile:
    """The bank profile in force (see ``default_profile_path``)."""
    return parse_profile(default_profile_path(contracts_dir))
