"""Keep the dbt project's view of the raw layer in step with the extract contracts (contracts/**/*.yaml).

The contracts are the interface between the loader and dbt. Two files per contract change are derived from them, never
edited by hand:

- ``models/base/<system>/_<system>__sources.yml``: the raw tables as dbt sources, every column with its contract
  type and description, freshness on the loader's ``_loaded_at``;
- ``seeds/reference/code_values.csv``: every code list of every contract column (code → English / Chinese label),
  which the staging models use to decode codes, and the bank profile's currency labels (code set
  ``ref.exchange_rates.currency``: the bank's currencies are those of its FX extract, not a code list);
- ``seeds/reference/bank_profile.csv``: the bank profile's settings dbt needs (the reporting currency).

``crmwh contracts --sync-dbt`` rewrites them; ``make lint`` and the unit tests fail when they are out of step.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from contracts.contract import Column, Contract, ContractSet, load_contracts

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = REPO_ROOT / "dbt_project"
HEADER = "# Generated from contracts/ by `crmwh contracts --sync-dbt`; do not edit by hand.\n"
LINEAGE_COLUMNS = (
    ("_batch_id", "BIGINT", "Delivery batch (audit.deliveries.batch_id) the row was loaded in."),
    ("_business_date", "DATE", "Business date of the delivery the row came in."),
    ("_source_file", "VARCHAR", "Extract file the row was read from."),
    ("_line_number", "BIGINT", "Line of the row in the extract file."),
    ("_loaded_at", "TIMESTAMP", "When the loader wrote the row (wall clock; used for source freshness only)."),
)
# Daily deliveries: warn when the newest load is more than a day and a half old, fail after three days.
FRESHNESS = {"warn_after": {"count": 36, "period": "hour"}, "error_after": {"count": 72, "period": "hour"}}
# Month-end extracts arrive once a month.
MONTHLY_FRESHNESS = {"warn_after": {"count": 33, "period": "day"}, "error_after": {"count": 35, "period": "day"}}


def _label_parts(label: str) -> tuple[str, str]:
    """Split a contract code label such as '柜面 counter' into (English, Chinese); either part may be empty."""
    han = "".join(re.findall(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef()（）/]+", label)).strip(" /")
    english = re.sub(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+", " ", label)
    english = re.sub(r"\(\s*\)", " ", english)
    english = " ".join(english.split()).strip(" /")
    return english, han


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _column_yaml(col: Column) -> list[str]:
    desc = col.description
    if col.codes:
        desc += " Codes: " + ", ".join(f"{k} = {v}" for k, v in col.codes.items()) + "."
    return [
        f"          - name: {col.name}",
        f"            data_type: {col.duckdb_type.lower()}",
        f"            description: {_quote(desc)}",
    ]


def render_sources(contracts: ContractSet, system: str) -> str:
    lines = [
        HEADER.rstrip("\n"),
        "version: 2",
        "",
        "sources:",
        f"  - name: {system}",
        f"    description: {_quote(contracts.system_descriptions.get(system, ''))}",
        "    schema: raw",
        "    config:",
        "      loaded_at_field: _loaded_at",
        "      freshness:",
        f"        warn_after: {{count: {FRESHNESS['warn_after']['count']}, "
        f"period: {FRESHNESS['warn_after']['period']}}}",
        f"        error_after: {{count: {FRESHNESS['error_after']['count']}, "
        f"period: {FRESHNESS['error_after']['period']}}}",
        "    tables:",
    ]
    for c in sorted(contracts.for_system(system), key=lambda c: c.extract):
        lines += _table_yaml(c)
    return "\n".join(lines) + "\n"


def _table_yaml(c: Contract) -> list[str]:
    desc = (
        f"{c.description} [{c.load_type} load, {c.frequency} delivery, file {c.file}, "
        f"key ({', '.join(c.primary_key)})]"
    )
    lines = [
        f"      - name: {c.extract}",
        f"        identifier: {c.raw_table}",
        f"        description: {_quote(desc)}",
    ]
    if c.frequency == "month_end":
        warn, error = MONTHLY_FRESHNESS["warn_after"], MONTHLY_FRESHNESS["error_after"]
        lines += [
            "        config:",
            "          freshness:",
            f"            warn_after: {{count: {warn['count']}, period: {warn['period']}}}",
            f"            error_after: {{count: {error['count']}, period: {error['period']}}}",
        ]
    lines.append("        columns:")
    for col in c.columns:
        lines += _column_yaml(col)
    for name, dtype, text in LINEAGE_COLUMNS:
        lines += [
            f"          - name: {name}",
            f"            data_type: {dtype.lower()}",
            f"            description: {_quote(text)}",
        ]
    return lines


def render_code_values(contracts: ContractSet) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code_set", "code", "label_en", "label_zh"])
    rows = []
    for c in contracts.contracts:
        for col in c.columns:
            for code, label in col.codes.items():
                english, chinese = _label_parts(label)
                # Labels carry one language only for currencies (Chinese) and the five categories (the code is Chinese).
                english = english or (code if code.isascii() else chinese)
                chinese = chinese or (code if not code.isascii() else english)
                rows.append([f"{c.system}.{c.extract}.{col.name}", code, english, chinese])
    profile = contracts.profile
    for code, label in (profile.currency_names if profile else {}).items():
        rows.append(["ref.exchange_rates.currency", code, code, label])
    writer.writerows(sorted(rows))
    return out.getvalue()


def render_bank_profile(contracts: ContractSet) -> str:
    """The profile settings the dbt models and tests read (``ref('bank_profile')``), one row per setting."""
    profile = contracts.profile
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["setting", "value"])
    writer.writerow(["reporting_currency", profile.reporting_currency if profile else "CNY"])
    return out.getvalue()


def expected_files(contracts: ContractSet) -> dict[Path, str]:
    files = {
        DBT_DIR / "models" / "base" / s / f"_{s}__sources.yml": render_sources(contracts, s)
        for s in contracts.systems
    }
    files[DBT_DIR / "seeds" / "reference" / "code_values.csv"] = render_code_values(contracts)
    files[DBT_DIR / "seeds" / "reference" / "bank_profile.csv"] = render_bank_profile(contracts)
    return files


def out_of_date(contracts: ContractSet | None = None) -> list[Path]:
    """The derived files that differ from what the contracts give (missing ones included)."""
    files = expected_files(contracts or load_contracts())
    return [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]


def sync(contracts: ContractSet | None = None) -> list[Path]:
    """Rewrite the derived files that are out of date; returns them."""
    files = expected_files(contracts or load_contracts())
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(files[p], encoding="utf-8")
    return stale
