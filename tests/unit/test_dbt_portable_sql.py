"""The models' SQL stays portable between DuckDB and Spark (dbt_project/README.md, "Portable SQL"; issue 18).

DuckDB-only syntax belongs in a macro's `default__` form, next to its `spark__` form; a model naming it directly
would build on DuckDB and fail (or silently differ) on Spark. The folders listed are those made portable so far.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
PORTABLE_FOLDERS = (
    "base", "staging", "snapshots", "restricted_pii", "intermediate/common", "intermediate/accounts",
    "intermediate/customers", "intermediate/churn", "intermediate/propensity", "intermediate/marketing",
)
# pattern -> what to write instead
DUCKDB_ONLY = {
    r"\basof\s+(left\s+)?join\b": "a range join on the validity interval (valid_from <= d < valid_to)",
    r"\barg_(min|max)\s*\(": "min_by / max_by",
    r"\bgenerate_series\s*\(": "day_series() (macros/dates.sql)",
    r"\bto_months\s*\(": "add_months() (macros/dates.sql)",
    r"\bdate_diff\s*\(": "month_diff() or days_between() (macros/dates.sql)",
    r"\bstrftime\s*\(": "a dispatched macro",
    r"\*\s*exclude\s*\(": "the columns, named",
    r"\bas\s+varchar\s*\)": "string",
    r"//": "cast(floor(a / b) as integer)",
    r"'\\N'": "null_marker() (macros/keys.sql): Spark reads '\\N' as 'N'",
    r"::": "cast(... as ...)",
    r"\bignore\s+nulls\b": "last_non_null() (macros/windows.sql)",
    r"\(\s*distinct\b[^()]*\)\s*over\b": "no distinct window aggregate on Spark (min <> max for 'more than one')",
    r"\binterval\s+'?\d+'?\s+(day|month|year)s?\b": "add_months() or date + integer",
}


def _portable_models() -> list[Path]:
    return sorted(p for folder in PORTABLE_FOLDERS for p in (DBT_DIR / "models" / folder).rglob("*.sql"))


def _code(path: Path) -> str:
    """The SQL of a model without its comments (which may name what they avoid)."""
    text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
    return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


def test_the_portable_folders_hold_models() -> None:
    assert len(_portable_models()) > 50


@pytest.mark.parametrize("path", _portable_models(), ids=lambda p: p.stem)
def test_model_uses_no_duckdb_only_sql(path: Path) -> None:
    code = _code(path)
    found = [f"{pattern!r}: write {instead}" for pattern, instead in DUCKDB_ONLY.items()
             if re.search(pattern, code, flags=re.I)]
    assert not found, f"{path.relative_to(DBT_DIR)} uses DuckDB-only SQL: {found}"


def test_surrogate_keys_mark_null_without_a_backslash_literal() -> None:
    keys = (DBT_DIR / "macros" / "keys.sql").read_text(encoding="utf-8")
    assert "'\\N'" not in _code(DBT_DIR / "macros" / "keys.sql")
    assert "chr(92)" in keys
