"""The commands that change the warehouse outside a build, each as one writer: under the build lock, on a private
copy of the served version, published when it changed something (``crmwh.publish.private_copy``).

Readers, Superset included, only ever open a published version read-only; nothing here writes into it. A command
started while another holds the lock fails at once, saying which command holds it, and changes nothing (exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from contracts.errors import CrmwhError
from crmwh import dbt_runs, publish

if TYPE_CHECKING:
    from expectations.runner import ValidationReport
    from ingest.report import IngestReport
    from ingest.withdraw import WithdrawReport


class NoWarehouse(CrmwhError):
    """The command needs a published warehouse and there is none at the path."""


def require_served(served: Path) -> Path:
    """The version file served now; a clear error when nothing is published there."""
    if not served.exists():
        raise NoWarehouse(f"{served}: no such warehouse file; run `crmwh build` first (or pass --warehouse)")
    return publish.resolve_served(served)


def ingest(landing: Path, served: Path, *, reload: bool, systems: Sequence[str] | None,
           progress: bool) -> IngestReport:
    """Load new deliveries into a private copy and publish it; nothing is published when no delivery was attempted."""
    from ingest.loader import ingest_landing

    with publish.private_copy(served, "ingest" + (" --reload" if reload else "")) as work:
        before = dbt_runs.newest_batch_id(work)
        report = ingest_landing(landing=landing, warehouse=work, reload=reload, systems=systems, progress=progress)
        if dbt_runs.newest_batch_id(work) == before:
            raise publish.Unchanged
    return report


def validate(served: Path, *, record: bool, all_deliveries: bool, **kwargs: object) -> ValidationReport:
    """Validate the served version: read-only without ``record``; with it, on a private copy that is published with
    the results (the quality tables live in the warehouse)."""
    from expectations import runner

    version = require_served(served)
    if not record:
        ids = runner.loaded_batch_ids(version) if all_deliveries else kwargs.pop("batch_ids", None)
        return runner.run_validation(version, record=False, batch_ids=ids, **kwargs)  # type: ignore[arg-type]
    with publish.private_copy(served, "validate") as work:
        ids = runner.loaded_batch_ids(work) if all_deliveries else kwargs.pop("batch_ids", None)
        return runner.run_validation(work, record=True, batch_ids=ids, **kwargs)  # type: ignore[arg-type]


def withdraw(served: Path, system: str, day: date, reason: str, *, requeue: bool) -> WithdrawReport:
    """Withdraw a delivery and what depends on it (``ingest.withdraw``) on a private copy, and publish it."""
    import duckdb

    from contracts.contract import load_contracts
    from ingest.withdraw import withdraw as withdraw_delivery

    with publish.private_copy(served, f"withdraw {system} {day:%Y%m%d}") as work:
        require_served(served)
        con = duckdb.connect(str(work))
        try:
            report = withdraw_delivery(con, load_contracts(), system, day, reason, requeue=requeue)
        finally:
            con.close()
        if report.already:
            raise publish.Unchanged
    return report
