"""What a suite is made of: checks (a GX expectation with a name and a severity) grouped per table and stage."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # importing GX takes seconds: only modules that run validations pay for it
    from great_expectations.expectations import Expectation

STAGES = ("raw", "marts")
CHECK_META_KEY = "crmwh_check"


class Severity(StrEnum):
    """critical blocks publishing; warning is published and reported."""

    CRITICAL = "critical"
    WARNING = "warning"


@dataclass(frozen=True)
class Check:
    """One expectation. ``name`` is unique in a run and stable across runs: tests and the results table use it."""

    name: str
    severity: Severity
    expectation: Expectation


@dataclass(frozen=True)
class Suite:
    """The checks of one table, run on the rows ``query`` selects (a SQL query run inside DuckDB)."""

    stage: str
    name: str
    query: str
    checks: tuple[Check, ...]


def check(kind: type[Expectation], name: str, severity: Severity, description: str, **kwargs: Any) -> Check:
    """A GX expectation of ``kind`` carrying our name and severity (Data Docs shows both in its description)."""
    expectation = kind(
        severity=severity.value,
        description=f"[{severity.value}] {name}: {description}",
        meta={CHECK_META_KEY: name},
        **kwargs,
    )
    return Check(name=name, severity=severity, expectation=expectation)


def sql_literal(value: object) -> str:
    """A SQL literal for a config value (strings quoted, numbers as exact decimals, never floats)."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
