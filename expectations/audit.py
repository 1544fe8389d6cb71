"""The loader's audit tables as the suites read them (ingest/audit.py defines them; names kept in one place here)."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.audit import LOADED

DELIVERIES = "audit.deliveries"  # batch_id, system, business_date, status, ...
DELIVERY_FILES = "audit.delivery_files"

__all__ = ["DELIVERIES", "DELIVERY_FILES", "FILES_COLUMNS", "LOADED"]


@dataclass(frozen=True)
class _FilesColumns:
    batch_id: str = "batch_id"
    file_name: str = "file_name"
    control_count: str = "control_record_count"
    rows_read: str = "rows_read"
    rows_loaded: str = "rows_loaded"
    rows_rejected: str = "rows_rejected"


FILES_COLUMNS = _FilesColumns()
