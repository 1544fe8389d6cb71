"""Data quality for the warehouse with Great Expectations: suites as code, a publish gate, Data Docs.

    run_validation(warehouse, stages=("raw", "marts"), batch_ids=None, run_id=None) -> ValidationReport
    build_data_docs(warehouse, out_dir) -> Path of index.html

See docs/data-quality.md.
"""

from __future__ import annotations

from expectations.data_docs import build_data_docs
from expectations.model import Severity
from expectations.report import ValidationReport
from expectations.runner import ValidationError, run_validation

__all__ = ["Severity", "ValidationError", "ValidationReport", "build_data_docs", "run_validation"]
