"""The extract contract: one YAML file per extract under ``contracts/<system>/``.

The contract is the interface a bank's source systems deliver to. Everything that reads or writes an extract (the
loader, the synthetic bank, the generated spec in ``docs/``) takes its layout from here, so adding an extract is a new
contract file plus a staging model, not new Python.
"""

from __future__ import annotations

import calendar
import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from contracts.business_calendar import EVERY_DAY, BusinessCalendar
from contracts.errors import CrmwhError
from contracts.profile import ENCODINGS, BankProfile, ProfileError, load_profile

CONTRACTS_DIR = Path(__file__).resolve().parent
SYSTEMS_FILE = "_systems.yaml"
DATE_TOKEN = "{yyyymmdd}"
CONTROL_SUFFIX = ".flg"

_TYPES = {"string", "integer", "decimal", "date"}
_FREQUENCIES = {"daily", "month_end"}
_LOAD_TYPES = {"full", "incremental"}
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
# libyaml's safe loader when available: the pure-Python one takes most of a second for the contract set
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContractError(CrmwhError, ValueError):
    """A contract file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class IfMissing:
    """What the warehouse does when a bank cannot send an optional field (``if_missing`` in the contract, switched on
    by the bank profile's ``optional_fields``): ``default`` is stored in its place at ingest (a code added to the
    column's list with ``label``), or, without a default, the field may be empty; ``derivation`` says what the models
    do then."""

    derivation: str
    default: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    description: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    start: int | None = None  # fixed width: 1-based byte position
    width: int | None = None  # fixed width: bytes
    codes: dict[str, str] = field(default_factory=dict)
    # numbers: the plausible range (``min`` / ``max`` in the YAML); a valid value outside it is a rejected row, so
    # that one absurd amount is named at ingest instead of overflowing a DECIMAL sum in the build
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    pii: bool = False  # personal data: masked wherever it leaves raw and restricted_pii (rejected lines in audit)
    if_missing: IfMissing | None = None  # the field may be missing from a bank's extract (see IfMissing)
    fill: str | None = None  # set by the bank profile (optional_fields): the value an empty field is loaded as

    @property
    def duckdb_type(self) -> str:
        if self.type == "string":
            return "VARCHAR"
        if self.type == "integer":
            return "BIGINT"
        if self.type == "date":
            return "DATE"
        return f"DECIMAL({self.precision},{self.scale})"


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_system: str
    ref_extract: str
    ref_columns: tuple[str, ...]

    @property
    def ref_key(self) -> str:
        return f"{self.ref_system}.{self.ref_extract}"


@dataclass(frozen=True)
class Format:
    kind: str  # delimited | fixed_width
    encoding: str
    header: bool
    date_format: str
    delimiter: str | None = None

    @property
    def python_encoding(self) -> str:
        return {"utf-8": "utf-8", "gbk": "gbk", "gb18030": "gb18030"}[self.encoding]

    @property
    def chinese(self) -> bool:
        """A Chinese double-byte encoding (GBK or its superset GB18030)."""
        return self.encoding in ("gbk", "gb18030")


@dataclass(frozen=True)
class Contract:
    extract: str
    system: str
    description: str
    file: str
    frequency: str
    load_type: str
    format: Format
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    max_reject_ratio: float = 0.01
    # columns that never change for a primary key once loaded (a person does not become a company): a row whose key
    # was loaded before with other values here is a reused key, rejected for review
    stable_columns: tuple[str, ...] = ()
    # False for extracts that arrive in bursts (a campaign's target list on one day, then nothing): the loader's volume
    # and continuity warnings (``volume_check`` in ``_systems.yaml``) leave them out
    volume_check: bool = True
    source_path: Path | None = None
    # set by the bank profile (contracts/bank.yaml): the business days of the system, whether the bank delivers the
    # extract at all, and whether it is sent only when it changes (absent on a day: unchanged)
    calendar: BusinessCalendar = EVERY_DAY
    delivered: bool = True
    on_change: bool = False

    @property
    def key(self) -> str:
        return f"{self.system}.{self.extract}"

    @property
    def raw_table(self) -> str:
        """Table name in the ``raw`` schema."""
        return f"{self.system}__{self.extract}"

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.key} has no column {name!r}")

    def file_name(self, business_date: date) -> str:
        return self.file.replace(DATE_TOKEN, business_date.strftime("%Y%m%d"))

    def control_file_name(self, business_date: date) -> str:
        return control_name_for(self.file_name(business_date))

    def delivered_on(self, business_date: date) -> bool:
        """Whether a delivery of ``business_date`` carries this extract: daily extracts in every delivery (a delivery
        on a day off included), month-end extracts on the last business day of the month, nothing the bank does not
        have. An ``on_change`` extract may still be absent (``ingest.landing.expected_contracts``)."""
        if not self.delivered:
            return False
        if self.frequency == "daily":
            return True
        if self.calendar.every_day:
            return business_date.day == calendar.monthrange(business_date.year, business_date.month)[1]
        return self.calendar.is_last_business_day_of_month(business_date)

    def expected_on(self, business_date: date) -> bool:
        """Whether the extract must arrive for ``business_date``: a business day of the system (and not sent only
        on change)."""
        return (not self.on_change and self.calendar.is_business_day(business_date)
                and self.delivered_on(business_date))

    @property
    def record_width(self) -> int:
        """Fixed-width files: bytes per record, excluding the line end."""
        return max(c.start + c.width - 1 for c in self.columns)  # type: ignore[operator]


def control_name_for(data_file_name: str) -> str:
    stem = data_file_name.rsplit(".", 1)[0]
    return stem + CONTROL_SUFFIX


@dataclass(frozen=True)
class VolumeCheck:
    """When a loaded file's record count is a warning (``volume_check`` in ``_systems.yaml``)."""

    window: int = 20
    min_history: int = 5
    min_ratio: float = 0.2
    many: int = 100


@dataclass(frozen=True)
class ContractSet:
    systems: tuple[str, ...]
    system_descriptions: dict[str, str]
    contracts: tuple[Contract, ...]
    volume: VolumeCheck = field(default_factory=VolumeCheck)
    profile: BankProfile | None = None

    def bank_has(self, system: str) -> bool:
        """Whether the bank delivers anything of ``system`` (the profile lists it)."""
        return any(c.delivered for c in self.for_system(system))

    def expects_delivery(self, system: str, day: date) -> bool:
        """Whether a delivery of ``system`` must arrive for ``day``: some extract of it is expected that day."""
        return any(c.expected_on(day) for c in self.for_system(system))

    def for_system(self, system: str) -> list[Contract]:
        return [c for c in self.contracts if c.system == system]

    def load_order(self, system: str) -> list[Contract]:
        """The system's contracts ordered so that every extract comes after the extracts its foreign keys name."""
        pending = {c.key: c for c in self.for_system(system)}
        ordered: list[Contract] = []
        while pending:
            ready = [
                c
                for c in pending.values()
                if all(fk.ref_key not in pending or fk.ref_key == c.key for fk in c.foreign_keys)
            ]
            if not ready:
                raise ContractError(f"foreign keys of system {system!r} form a cycle: {sorted(pending)}")
            for c in sorted(ready, key=lambda c: c.extract):
                ordered.append(c)
                del pending[c.key]
        return ordered

    def get(self, key: str) -> Contract:
        for c in self.contracts:
            if c.key == key:
                return c
        raise KeyError(f"no contract {key!r}")

    def by_file_name(self, system: str, file_name: str) -> tuple[Contract, date] | None:
        """The contract whose file pattern matches ``file_name``, and the business date in the name."""
        for c in self.for_system(system):
            prefix, suffix = c.file.split(DATE_TOKEN)
            m = re.fullmatch(re.escape(prefix) + r"(\d{8})" + re.escape(suffix), file_name)
            if m:
                try:
                    return c, _parse_yyyymmdd(m.group(1))
                except ValueError:
                    return None
        return None


def _parse_yyyymmdd(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _require(raw: dict[str, Any], key: str, where: str) -> Any:
    if key not in raw or raw[key] is None:
        raise ContractError(f"{where}: missing required key {key!r}")
    return raw[key]


def _parse_column(raw: dict[str, Any], where: str, fixed_width: bool) -> Column:
    name = _require(raw, "name", where)
    where = f"{where}: column {name!r}"
    if not isinstance(name, str) or not _IDENT.match(name):
        raise ContractError(f"{where}: column names must be lower_snake_case identifiers")
    col_type = _require(raw, "type", where)
    if col_type not in _TYPES:
        raise ContractError(f"{where}: type {col_type!r} is not one of {sorted(_TYPES)}")
    if "nullable" not in raw or not isinstance(raw["nullable"], bool):
        raise ContractError(f"{where}: 'nullable' must be true or false")
    precision = raw.get("precision")
    scale = raw.get("scale")
    if col_type == "decimal" and (not isinstance(precision, int) or not isinstance(scale, int) or scale > precision):
        raise ContractError(f"{where}: a decimal needs integer precision and scale (scale <= precision)")
    start, width = raw.get("start"), raw.get("width")
    if fixed_width and (not isinstance(start, int) or not isinstance(width, int) or start < 1 or width < 1):
        raise ContractError(f"{where}: a fixed-width column needs positive integer 'start' and 'width'")
    codes = {str(k): str(v) for k, v in (raw.get("codes") or {}).items()}
    bounds: dict[str, Decimal | None] = {}
    for key in ("min", "max"):
        value = raw.get(key)
        if value is not None and (col_type not in ("decimal", "integer") or isinstance(value, bool)):
            raise ContractError(f"{where}: {key!r} is a bound of a number column")
        try:
            bounds[key] = None if value is None else Decimal(str(value))
        except InvalidOperation:
            raise ContractError(f"{where}: {key!r} must be a number, not {value!r}") from None
    if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
        raise ContractError(f"{where}: 'min' is greater than 'max'")
    pii = raw.get("pii", False)
    if not isinstance(pii, bool):
        raise ContractError(f"{where}: 'pii' must be true or false")
    if_missing = _parse_if_missing(raw.get("if_missing"), where, col_type, raw.get("length"), codes)
    return Column(
        name=name,
        type=col_type,
        nullable=raw["nullable"],
        description=str(raw.get("description", "")),
        length=raw.get("length"),
        precision=precision,
        scale=scale,
        start=start,
        width=width,
        codes=codes,
        minimum=bounds["min"],
        maximum=bounds["max"],
        pii=pii,
        if_missing=if_missing,
    )


def _parse_if_missing(raw: Any, where: str, col_type: str, length: Any, codes: dict[str, str]) -> IfMissing | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("derivation"), str) or \
            set(raw) - {"default", "label", "derivation"}:
        raise ContractError(f"{where}: if_missing is {{default, label, derivation}} with a derivation text")
    default = raw.get("default")
    if default is not None:
        default = str(default)
        if col_type != "string" or (isinstance(length, int) and len(default.encode("utf-8")) > length):
            raise ContractError(f"{where}: if_missing.default must be a string that fits the column")
        if codes and default in codes:
            raise ContractError(f"{where}: if_missing.default {default!r} is already a code of the column")
        if codes and not raw.get("label"):
            raise ContractError(f"{where}: if_missing.default of a code column needs a label")
    return IfMissing(derivation=raw["derivation"].strip(), default=default,
                     label=None if raw.get("label") is None else str(raw["label"]))


def parse_contract(path: Path) -> Contract:
    where = str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise ContractError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ContractError(f"{where}: a contract is a mapping")
    fmt_raw = _require(raw, "format", where)
    kind = _require(fmt_raw, "kind", where + ": format")
    if kind not in {"delimited", "fixed_width"}:
        raise ContractError(f"{where}: format.kind must be 'delimited' or 'fixed_width'")
    encoding = _require(fmt_raw, "encoding", where + ": format")
    if encoding not in {"utf-8", "gbk"}:
        raise ContractError(f"{where}: format.encoding must be 'utf-8' or 'gbk'")
    # (a contract says utf-8 or gbk — Chinese; the bank profile decides the encoding the bank's files are read in)
    fmt = Format(
        kind=kind,
        encoding=encoding,
        header=bool(fmt_raw.get("header", False)),
        date_format=_require(fmt_raw, "date_format", where + ": format"),
        delimiter=fmt_raw.get("delimiter"),
    )
    if kind == "delimited" and not fmt.delimiter:
        raise ContractError(f"{where}: a delimited format needs a delimiter")
    if kind == "fixed_width" and fmt.header:
        raise ContractError(f"{where}: fixed-width files have no header")
    file_pattern = _require(raw, "file", where)
    if file_pattern.count(DATE_TOKEN) != 1:
        raise ContractError(f"{where}: 'file' must contain {DATE_TOKEN} exactly once")
    frequency = _require(raw, "frequency", where)
    if frequency not in _FREQUENCIES:
        raise ContractError(f"{where}: frequency must be one of {sorted(_FREQUENCIES)}")
    load_type = _require(raw, "load_type", where)
    if load_type not in _LOAD_TYPES:
        raise ContractError(f"{where}: load_type must be one of {sorted(_LOAD_TYPES)}")
    raw_columns = _require(raw, "columns", where)
    columns = tuple(_parse_column(c, where, kind == "fixed_width") for c in raw_columns)
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ContractError(f"{where}: duplicate column names")
    if kind == "fixed_width":
        spans = sorted((c.start, c.start + c.width - 1, c.name) for c in columns)  # type: ignore[operator]
        for (_, end_a, a), (start_b, _, b) in itertools.pairwise(spans):
            if start_b <= end_a:
                raise ContractError(f"{where}: fixed-width columns {a!r} and {b!r} overlap")
    primary_key = tuple(_require(raw, "primary_key", where))
    for k in primary_key:
        if k not in names:
            raise ContractError(f"{where}: primary key column {k!r} is not a column")
    fks = []
    for fk in raw.get("foreign_keys") or []:
        ref = _require(fk, "references", where + ": foreign key")
        cols = tuple(_require(fk, "columns", where + ": foreign key"))
        for k in cols:
            if k not in names:
                raise ContractError(f"{where}: foreign key column {k!r} is not a column")
        fks.append(
            ForeignKey(
                columns=cols,
                ref_system=_require(ref, "system", where),
                ref_extract=_require(ref, "extract", where),
                ref_columns=tuple(_require(ref, "columns", where)),
            )
        )
    stable = tuple(raw.get("stable_columns") or ())
    for k in stable:
        if k not in names:
            raise ContractError(f"{where}: stable column {k!r} is not a column")
    if stable and not primary_key:
        raise ContractError(f"{where}: stable columns need a primary key")
    volume_check = raw.get("volume_check", True)
    if not isinstance(volume_check, bool):
        raise ContractError(f"{where}: 'volume_check' must be true or false")
    contract = Contract(
        extract=_require(raw, "extract", where),
        system=_require(raw, "system", where),
        description=str(raw.get("description", "")).strip(),
        file=file_pattern,
        frequency=frequency,
        load_type=load_type,
        format=fmt,
        primary_key=primary_key,
        columns=columns,
        foreign_keys=tuple(fks),
        max_reject_ratio=float(raw.get("max_reject_ratio", 0.01)),
        stable_columns=stable,
        volume_check=volume_check,
        source_path=path,
    )
    if path.parent.name != contract.system:
        raise ContractError(f"{where}: lies in folder {path.parent.name!r} but says system {contract.system!r}")
    return contract


def load_contracts(directory: Path = CONTRACTS_DIR, profile: BankProfile | None = None) -> ContractSet:
    """The contracts of ``directory`` as the bank profile has them (default: ``load_profile(directory)``)."""
    raw = _load_contracts(directory)
    return apply_profile(raw, profile if profile is not None else load_profile(directory))


def apply_profile(contracts: ContractSet, profile: BankProfile) -> ContractSet:
    """The contracts as ``profile``'s bank delivers them: encodings, calendars, the extracts it has, on-change
    extracts and its extra code values. A profile naming a system, extract or column no contract has is an error."""
    where = str(profile.source_path or "bank profile")
    for name in profile.systems:
        if name not in contracts.systems:
            raise ProfileError(f"{where}: systems.{name}: no such source system (contracts/{SYSTEMS_FILE} has "
                               f"{', '.join(contracts.systems)})")
    keys = {c.key: c for c in contracts.contracts}
    for name, sp in profile.systems.items():
        for extract in (*(sp.extracts or ()), *sp.on_change):
            if f"{name}.{extract}" not in keys:
                raise ProfileError(f"{where}: systems.{name}: no extract {extract!r} in contracts/{name}/")
        for extract in sp.on_change:
            c = keys[f"{name}.{extract}"]
            if c.frequency != "daily" or (sp.extracts is not None and extract not in sp.extracts):
                raise ProfileError(f"{where}: systems.{name}.on_change: {extract} must be a daily extract the "
                                   "bank delivers")
    for field_key in profile.optional_fields:
        system, extract, column = field_key.split(".")
        c = keys.get(f"{system}.{extract}")
        if c is None or column not in c.column_names:
            raise ProfileError(f"{where}: optional_fields: {field_key}: no such contract column")
        if c.column(column).if_missing is None:
            raise ProfileError(f"{where}: optional_fields: {field_key}: the contract does not say what happens when "
                               "it is missing (no if_missing): it is required")
    for code_set in profile.codes:
        system, extract, column = code_set.split(".")
        c = keys.get(f"{system}.{extract}")
        if c is None or column not in c.column_names:
            raise ProfileError(f"{where}: codes.{code_set}: no such contract column")
        if not c.column(column).codes:
            raise ProfileError(f"{where}: codes.{code_set}: the column has no code list to extend")
    out = []
    for c in contracts.contracts:
        sp = profile.system(c.system)
        encoding = profile.encoding_for(c.system, c.format.encoding)
        assert encoding in ENCODINGS
        columns = tuple(_profiled_column(col, f"{c.key}.{col.name}", profile) for col in c.columns)
        out.append(replace(
            c,
            format=replace(c.format, encoding=encoding),
            columns=columns,
            calendar=sp.calendar if sp is not None else profile.calendar,
            delivered=sp is not None and (sp.extracts is None or c.extract in sp.extracts),
            on_change=sp is not None and c.extract in sp.on_change,
        ))
    _check_foreign_keys_delivered(out, where)
    return replace(contracts, contracts=tuple(out), profile=profile)


def _profiled_column(col: Column, key: str, profile: BankProfile) -> Column:
    """The column as the bank has it: its code list extended, and filled or nullable when the bank cannot send it."""
    if key in profile.codes:
        col = replace(col, codes={**col.codes, **profile.codes[key]})
    if key in profile.optional_fields and col.if_missing is not None:
        rule = col.if_missing
        if rule.default is None:
            col = replace(col, nullable=True)
        else:
            codes = {**col.codes, rule.default: rule.label or rule.default} if col.codes else col.codes
            col = replace(col, fill=rule.default, codes=codes)
    return col


def _check_foreign_keys_delivered(contracts: list[Contract], where: str) -> None:
    by_key = {c.key: c for c in contracts}
    for c in contracts:
        for fk in c.foreign_keys:
            if c.delivered and not by_key[fk.ref_key].delivered:
                raise ProfileError(f"{where}: {c.key} is delivered but refers to {fk.ref_key}, which is not: "
                                   "deliver both or neither")


def _load_contracts(directory: Path) -> ContractSet:
    systems_path = directory / SYSTEMS_FILE
    if not systems_path.exists():
        raise ContractError(f"{systems_path}: missing (it lists the source systems and their load order)")
    systems_doc = yaml.safe_load(systems_path.read_text(encoding="utf-8"))
    systems_raw = systems_doc["systems"]
    volume = _parse_volume(systems_doc.get("volume_check") or {}, str(systems_path))
    systems = tuple(s["name"] for s in systems_raw)
    descriptions = {s["name"]: s.get("description", "") for s in systems_raw}
    contracts: list[Contract] = []
    for system in systems:
        for path in sorted((directory / system).glob("*.yaml")):
            contracts.append(parse_contract(path))
    keys = {c.key for c in contracts}
    for c in contracts:
        for fk in c.foreign_keys:
            if fk.ref_key not in keys:
                raise ContractError(f"{c.source_path}: foreign key references unknown extract {fk.ref_key!r}")
    return ContractSet(systems=systems, system_descriptions=descriptions, contracts=tuple(contracts), volume=volume)


def _parse_volume(raw: dict[str, Any], where: str) -> VolumeCheck:
    unknown = set(raw) - {"window", "min_history", "min_ratio", "many"}
    if unknown:
        raise ContractError(f"{where}: volume_check: unknown key(s) {sorted(unknown)}")
    check = VolumeCheck(**raw)
    ints = (check.window, check.min_history, check.many)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in ints) or \
            not isinstance(check.min_ratio, int | float) or not 0 < check.min_ratio < 1:
        raise ContractError(f"{where}: volume_check: window, min_history and many are whole numbers >= 1, "
                            "min_ratio a share between 0 and 1")
    return check
