"""Data quality for the warehouse with Great Expectations: suites as code, a publish gate, Data Docs.

    run_validation(warehouse, stages=("raw", "marts"), batch_ids=None, run_id=None) -> ValidationReport
    build_data_docs(warehouse, out_dir) -> Path of index.html
    loaded_batch_ids(warehouse) -> every LOADED delivery (to validate all of them again)

See docs/data-quality.md.
"""

from __future__ import annotations

from expectations.data_docs import build_data_docs
from expectations.model import Severity
from expectations.report import ValidationReport
from expectations.runner import ValidationError, loaded_batch_ids, run_validation

__all__ = [
    "Severity", "ValidationError", "ValidationReport", "build_data_docs", "loaded_batch_ids", "run_validation",
]
