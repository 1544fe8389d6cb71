"""The outcome of a validation run, and how a GX result becomes one line of it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from expectations.model import Severity

_EXAMPLES = 5
_DETAIL_CHARS = 20_000


@dataclass(frozen=True)
class Outcome:
    """One expectation's result. ``observed`` is short and human-readable; ``details`` is JSON for the curious."""

    stage: str
    suite: str
    name: str
    severity: Severity
    success: bool
    observed: str
    details: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.observed})"


@dataclass(frozen=True)
class ValidationReport:
    run_id: str
    run_at: datetime
    stages: tuple[str, ...]
    batch_ids: tuple[int, ...]
    outcomes: tuple[Outcome, ...]
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)
    docs_index: str | None = None

    @property
    def passed(self) -> bool:
        """No critical expectation failed (warnings do not count)."""
        return not self.critical_failures

    def failed(self, severity: Severity) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success and o.severity is severity]

    @property
    def critical_failures(self) -> list[str]:
        """Failed critical expectations: ``name (observed value)``."""
        return [o.label for o in self.failed(Severity.CRITICAL)]

    @property
    def warnings(self) -> list[str]:
        """Failed warning expectations: ``name (observed value)``."""
        return [o.label for o in self.failed(Severity.WARNING)]

    @property
    def failed_names(self) -> set[str]:
        return {o.name for o in self.outcomes if not o.success}

    def summary(self) -> str:
        state = "PASSED" if self.passed else "FAILED (critical expectations failed: publishing is blocked)"
        suites = len({o.suite for o in self.outcomes})
        batches = f", {len(self.batch_ids)} deliveries" if self.batch_ids else ""
        lines = [
            f"data quality {state}: {len(self.outcomes)} expectations in {suites} suites "
            f"({', '.join(self.stages)}{batches}) in {self.seconds:.1f}s, run {self.run_id}; "
            f"{len(self.critical_failures)} critical failures, {len(self.warnings)} warnings"
        ]
        lines += [f"  CRITICAL {label}" for label in self.critical_failures]
        lines += [f"  warning  {label}" for label in self.warnings]
        lines += [f"  note: {n}" for n in self.notes]
        if self.docs_index:
            lines.append(f"  Data Docs: {self.docs_index}")
        return "\n".join(lines)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe_result(expectation_type: str, result: dict[str, Any], exception: str | None) -> str:
    """One line saying what GX observed: counts, examples or the error."""
    if exception:
        return "error: " + exception.strip().splitlines()[-1][:300]
    if not result:  # a pass/fail-only run: GX computed no figures for a check that passed
        return "passed"
    if "unexpected_count" in result:
        examples = [_short(v) for v in (result.get("partial_unexpected_list") or [])[:_EXAMPLES]]
        text = f"{result['unexpected_count']} of {result.get('element_count', '?')} rows unexpected"
        return text + (f", e.g. {', '.join(examples)}" if examples and result["unexpected_count"] else "")
    observed = result.get("observed_value")
    if expectation_type == "unexpected_rows_expectation":
        return f"{observed} unexpected rows"
    return f"observed {_short(observed)}"


def details_json(description: str, kwargs: dict[str, Any], result: dict[str, Any], exception: str | None) -> str:
    payload = {"description": description, "kwargs": kwargs, "result": result}
    if exception:
        payload["exception"] = exception
    text = json.dumps(payload, default=str, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= _DETAIL_CHARS else text[:_DETAIL_CHARS] + "…(truncated)"
