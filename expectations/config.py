"""The suites' parameters (bands, ranges, date rules, extra references), read from ``expectations/config.yaml``.

Everything the contracts already say (nullability, code lists, keys, foreign keys) is taken from the contracts; the
config only adds what they cannot express. Loading checks every extract and column it names against the contracts,
so a renamed column fails here, with the config file and the entry named, instead of in a silent no-op check.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from contracts.contract import ContractSet, load_contracts
from contracts.errors import CrmwhError
from expectations.model import Severity

CONFIG_FILE = Path(__file__).resolve().parent / "config.yaml"
REPO_ROOT = Path(__file__).resolve().parent.parent  # seeds in the config are paths relative to it


class QualityConfigError(CrmwhError, ValueError):
    """The data-quality config is malformed or names something the contracts do not have."""


@dataclass(frozen=True)
class Bounds:
    min: Decimal | None
    max: Decimal | None


@dataclass(frozen=True)
class Reference:
    name: str
    source: str
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    severity: Severity
    max_unmatched_share: Decimal
    why: str


@dataclass(frozen=True)
class RawConfig:
    earliest_date: date
    future_dates_allowed: frozenset[str]
    dates_equal_business_date: dict[str, tuple[str, ...]]
    history_in_first_delivery: dict[str, tuple[str, ...]]
    dates_month_start: dict[str, tuple[str, ...]]
    date_order: dict[str, tuple[tuple[str, str], ...]]
    date_order_severity: Severity
    codes_from: dict[tuple[str, str], tuple[str, str]]
    ranges: dict[str, dict[str, dict[Severity, Bounds]]]
    unique_across_deliveries: dict[str, Severity]
    foreign_key_severity: dict[str, Severity]
    references: tuple[Reference, ...]

    def allows_future_date(self, contract_key: str, column: str) -> bool:
        """Whether a date column may lie after its delivery's business date (``future_dates_allowed`` names a column
        of every extract, or ``<system>.<extract>.<column>`` of one)."""
        return column in self.future_dates_allowed or f"{contract_key}.{column}" in self.future_dates_allowed


@dataclass(frozen=True)
class MartsConfig:
    amount_tolerance: Decimal
    month_over_month_bands: dict[str, Decimal]
    code_lists: dict[tuple[str, str], tuple[str, ...]]  # (table, column) -> allowed codes
    rm_required_segments: tuple[str, ...]
    non_negative_balance_product_lines: tuple[str, ...]
    overdraft_product_lines: tuple[str, ...]
    operating_expense_prefixes: tuple[str, ...]
    balance_continuity_severity: Severity = Severity.WARNING
    # every account of the seed: income and expense making up the ledger's pre-provision profit (the profit bridge)
    profit_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class QualityConfig:
    raw: RawConfig
    marts: MartsConfig
    source: Path


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, float):
        raise QualityConfigError(f"{where}: write {value!r} as a quoted decimal string (floats lose digits)")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise QualityConfigError(f"{where}: {value!r} is not a decimal number") from None


def _severity(value: Any, where: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise QualityConfigError(f"{where}: severity {value!r} is not one of {[s.value for s in Severity]}") from None


def _split_column(ref: str, where: str) -> tuple[str, str]:
    parts = ref.split(".")
    if len(parts) != 3:
        raise QualityConfigError(f"{where}: {ref!r} is not <system>.<extract>.<column>")
    return f"{parts[0]}.{parts[1]}", parts[2]


class _Checker:
    def __init__(self, contracts: ContractSet, source: Path) -> None:
        self.contracts = contracts
        self.source = source

    def extract(self, key: str, where: str) -> str:
        try:
            self.contracts.get(key)
        except KeyError:
            raise QualityConfigError(f"{self.source}: {where}: no extract contract {key!r}") from None
        return key

    def column(self, key: str, column: str, where: str) -> str:
        contract = self.contracts.get(self.extract(key, where))
        if column not in contract.column_names:
            raise QualityConfigError(f"{self.source}: {where}: extract {key!r} has no column {column!r}")
        return column

    def columns(self, key: str, columns: Any, where: str) -> tuple[str, ...]:
        return tuple(self.column(key, c, where) for c in columns)


def _require(raw: dict[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        raise QualityConfigError(f"{where}: missing key {key!r}")
    return raw[key]


def _parse_raw(raw: dict[str, Any], chk: _Checker, src: Path) -> RawConfig:
    w = f"{src}: raw"
    equal = {
        chk.extract(k, f"raw.dates_equal_business_date.{k}"): chk.columns(k, v, f"raw.dates_equal_business_date.{k}")
        for k, v in (_require(raw, "dates_equal_business_date", w) or {}).items()
    }
    history = {
        chk.extract(k, f"raw.history_in_first_delivery.{k}"): chk.columns(k, v, f"raw.history_in_first_delivery.{k}")
        for k, v in (raw.get("history_in_first_delivery") or {}).items()
    }
    month_start = {
        chk.extract(k, f"raw.dates_month_start.{k}"): chk.columns(k, v, f"raw.dates_month_start.{k}")
        for k, v in (_require(raw, "dates_month_start", w) or {}).items()
    }
    order: dict[str, tuple[tuple[str, str], ...]] = {}
    for k, pairs in (_require(raw, "date_order", w) or {}).items():
        where = f"raw.date_order.{k}"
        order[chk.extract(k, where)] = tuple(
            (chk.column(k, a, where), chk.column(k, b, where)) for a, b in pairs
        )
    codes_from: dict[tuple[str, str], tuple[str, str]] = {}
    for target, origin in (_require(raw, "codes_from", w) or {}).items():
        where = f"raw.codes_from.{target}"
        t_key, t_col = _split_column(target, f"{src}: {where}")
        o_key, o_col = _split_column(origin, f"{src}: {where}")
        chk.column(t_key, t_col, where)
        chk.column(o_key, o_col, where)
        if not chk.contracts.get(o_key).column(o_col).codes:
            raise QualityConfigError(f"{src}: {where}: {origin} has no code list in its contract")
        codes_from[(t_key, t_col)] = (o_key, o_col)
    ranges: dict[str, dict[str, dict[Severity, Bounds]]] = {}
    for k, cols in (_require(raw, "ranges", w) or {}).items():
        chk.extract(k, f"raw.ranges.{k}")
        ranges[k] = {}
        for col, by_severity in cols.items():
            where = f"raw.ranges.{k}.{col}"
            chk.column(k, col, where)
            ranges[k][col] = {
                _severity(sev, f"{src}: {where}"): Bounds(
                    min=_decimal(b["min"], f"{src}: {where}.{sev}.min") if "min" in b else None,
                    max=_decimal(b["max"], f"{src}: {where}.{sev}.max") if "max" in b else None,
                )
                for sev, b in by_severity.items()
            }
    references = []
    for i, r in enumerate(_require(raw, "references", w) or []):
        where = f"raw.references[{i}]"
        source_key = chk.extract(_require(r, "from", f"{src}: {where}"), where)
        target_key = chk.extract(_require(r, "to", f"{src}: {where}"), where)
        cols = chk.columns(source_key, _require(r, "columns", f"{src}: {where}"), where)
        to_cols = chk.columns(target_key, _require(r, "to_columns", f"{src}: {where}"), where)
        if len(cols) != len(to_cols) or not cols:
            raise QualityConfigError(f"{src}: {where}: 'columns' and 'to_columns' must pair up")
        references.append(
            Reference(
                name=_require(r, "name", f"{src}: {where}"),
                source=source_key,
                columns=cols,
                target=target_key,
                target_columns=to_cols,
                severity=_severity(_require(r, "severity", f"{src}: {where}"), f"{src}: {where}"),
                max_unmatched_share=_decimal(r.get("max_unmatched_share", "0"), f"{src}: {where}"),
                why=str(r.get("why", "")),
            )
        )
    fk_severity = {}
    for fk, sev in (raw.get("foreign_key_severity") or {}).items():
        key, cols = _split_column(fk, f"{src}: raw.foreign_key_severity")
        chk.columns(key, cols.split("+"), f"raw.foreign_key_severity.{fk}")
        fk_severity[fk] = _severity(sev, f"{src}: raw.foreign_key_severity.{fk}")
    earliest = _require(raw, "earliest_date", w)
    if not isinstance(earliest, date):
        raise QualityConfigError(f"{w}.earliest_date: {earliest!r} is not a date (YYYY-MM-DD)")
    return RawConfig(
        earliest_date=earliest,
        future_dates_allowed=frozenset(_require(raw, "future_dates_allowed", w) or ()),
        dates_equal_business_date=equal,
        history_in_first_delivery=history,
        dates_month_start=month_start,
        date_order=order,
        date_order_severity=_severity(_require(raw, "date_order_severity", w), f"{w}.date_order_severity"),
        codes_from=codes_from,
        ranges=ranges,
        unique_across_deliveries={
            chk.extract(k, f"raw.unique_across_deliveries.{k}"): _severity(v, f"{w}.unique_across_deliveries.{k}")
            for k, v in (raw.get("unique_across_deliveries") or {}).items()
        },
        foreign_key_severity=fk_severity,
        references=tuple(references),
    )


def _seed_column(seed: str, column: str, where: str, role: tuple[str, str] | None = None) -> tuple[str, ...]:
    """Values of ``column`` in a dbt seed (optionally only rows whose ``role[0]`` column equals ``role[1]``)."""
    path = REPO_ROOT / seed
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise QualityConfigError(f"{where}: cannot read seed {path}: {exc}") from exc
    if not rows or column not in rows[0] or (role and role[0] not in rows[0]):
        raise QualityConfigError(f"{where}: seed {path} has no column {column!r}")
    values = tuple(sorted({r[column] for r in rows if r[column] and (role is None or r[role[0]] == role[1])}))
    if not values:
        raise QualityConfigError(f"{where}: seed {path} gives no values for {column!r}")
    return values


def _parse_marts(raw: dict[str, Any], src: Path, contracts: ContractSet) -> MartsConfig:
    w = f"{src}: marts"
    bands = {
        name: _decimal(v, f"{w}.month_over_month_bands.{name}")
        for name, v in (_require(raw, "month_over_month_bands", w) or {}).items()
    }
    unknown_bands = set(bands) - {"aum", "loans", "pre_provision_contribution"}
    if unknown_bands:
        raise QualityConfigError(f"{w}.month_over_month_bands: unknown totals {sorted(unknown_bands)}")
    code_lists: dict[tuple[str, str], tuple[str, ...]] = {}
    for key, spec in (_require(raw, "code_lists", w) or {}).items():
        where = f"{w}.code_lists.{key}"
        table, _, column = key.partition(".")
        if not column:
            raise QualityConfigError(f"{where}: name <table>.<column>")
        if "values" in spec:
            code_lists[(table, column)] = tuple(str(v) for v in spec["values"])
        else:
            code_lists[(table, column)] = _seed_column(_require(spec, "seed", where), _require(spec, "column", where),
                                                       where)
    known_lines = contracts.get("ref.products").column("product_line").codes
    product_lines: dict[str, tuple[str, ...]] = {}
    for key in ("non_negative_balance_product_lines", "overdraft_product_lines"):
        product_lines[key] = tuple(_require(raw, key, w) or ())
        if set(product_lines[key]) - set(known_lines):
            raise QualityConfigError(
                f"{w}.{key}: {sorted(set(product_lines[key]) - set(known_lines))} are not product "
                f"lines of ref.products ({sorted(known_lines)})"
            )
    both = set(product_lines["non_negative_balance_product_lines"]) & set(product_lines["overdraft_product_lines"])
    if both:
        raise QualityConfigError(
            f"{w}: {sorted(both)} are both in non_negative_balance_product_lines and overdraft_product_lines: a line's "
            "negative balance is either impossible (critical) or an overdraft (warning)"
        )
    roles = _require(raw, "gl_account_roles", w)
    prefixes = _seed_column(
        _require(roles, "seed", f"{w}.gl_account_roles"), "account_prefix", f"{w}.gl_account_roles",
        role=("gl_role", _require(roles, "operating_expense_role", f"{w}.gl_account_roles")),
    )
    return MartsConfig(
        amount_tolerance=_decimal(_require(raw, "amount_tolerance", w), f"{w}.amount_tolerance"),
        month_over_month_bands=bands,
        code_lists=code_lists,
        rm_required_segments=tuple(_require(raw, "rm_required_segments", w) or ()),
        non_negative_balance_product_lines=product_lines["non_negative_balance_product_lines"],
        overdraft_product_lines=product_lines["overdraft_product_lines"],
        balance_continuity_severity=_severity(_require(raw, "balance_continuity_severity", w),
                                              f"{w}.balance_continuity_severity"),
        operating_expense_prefixes=prefixes,
        profit_prefixes=_seed_column(_require(roles, "seed", f"{w}.gl_account_roles"), "account_prefix",
                                     f"{w}.gl_account_roles"),
    )


def load_config(path: Path = CONFIG_FILE, contracts: ContractSet | None = None) -> QualityConfig:
    contracts = contracts or load_contracts()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QualityConfigError(f"{path}: cannot read the data-quality config: {exc}") from exc
    if not isinstance(raw, dict):
        raise QualityConfigError(f"{path}: the data-quality config is a mapping with 'raw' and 'marts'")
    chk = _Checker(contracts, path)
    return QualityConfig(
        raw=_parse_raw(_require(raw, "raw", str(path)), chk, path),
        marts=_parse_marts(_require(raw, "marts", str(path)), path, contracts),
        source=path,
    )
