"""Data quality for the warehouse with Great Expectations: suites as code, a publish gate, Data Docs.

    run_validation(warehouse, stages=("raw", "marts"), batch_ids=None, run_id=None) -> ValidationReport
    build_data_docs(warehouse, out_dir) -> Path of index.html
    loaded_batch_ids(warehouse) -> every LOADED delivery (to validate all of them again)

See docs/data-quality.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from expectations.model import Severity
    from expectations.report import ValidationReport
    from expectations.runner import ValidationError, build_data_docs, loaded_batch_ids, run_validation

__all__ = [
    "Severity", "ValidationError", "ValidationReport", "build_data_docs", "loaded_batch_ids", "run_validation",
]

# Importing Great Expectations takes seconds; the names are resolved on first use so that importing this package
# (e.g. for a command's --help) stays cheap.
_WHERE = {
    "Severity": "expectations.model",
    "ValidationError": "expectations.runner",
    "ValidationReport": "expectations.report",
    "build_data_docs": "expectations.runner",
    "loaded_batch_ids": "expectations.runner",
    "run_validation": "expectations.runner",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'expectations' has no attribute {name!r}")
