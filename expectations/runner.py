"""Run the suites with Great Expectations on the DuckDB warehouse, in SQL inside DuckDB.

GX gets an ephemeral context and one SQL datasource on the warehouse file, opened read-only: every suite is a query
asset (the rows to check, selected in SQL) and its expectations compile to SQL that DuckDB runs; no table is pulled
into pandas. The GX connections are closed before the results are written back (DuckDB allows one writer per file,
and a read-only and a read-write handle cannot coexist in one process).
"""

from __future__ import annotations

import gc
import logging
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.data_context.context_factory import set_context
from great_expectations.data_context.types.base import ProgressBarsConfig
from tqdm import tqdm

from contracts.contract import ContractSet, load_contracts
from contracts.errors import CrmwhError
from expectations import audit, results
from expectations.config import CONFIG_FILE, QualityConfig, load_config
from expectations.data_docs import MARKER, DataDocsError, make_offline
from expectations.gx_duckdb import duckdb_results_buffered
from expectations.marts_suites import build_marts_suites
from expectations.model import CHECK_META_KEY, STAGES, Check, Suite
from expectations.raw_suites import build_raw_suites
from expectations.report import Outcome, ValidationReport, describe_result, details_json

DOCS_SITE = "crmwh"
_DATASOURCE = "warehouse"
_BATCH = "all rows"


class ValidationError(CrmwhError):
    """Validation could not run (missing warehouse, unknown stage or batch); says which and why."""


@dataclass(frozen=True)
class Plan:
    suites: list[Suite]
    batch_ids: tuple[int, ...]
    notes: tuple[str, ...]


def _connect_read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.exists():
        raise ValidationError(f"{warehouse}: no such warehouse file")
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise ValidationError(
            f"{warehouse}: cannot open read-only ({exc}); close every other connection to it first"
        ) from exc


def _select_batches(
    con: duckdb.DuckDBPyConnection, batch_ids: Sequence[int] | None, default: str
) -> tuple[dict[str, list[int]], list[str]]:
    """LOADED deliveries to validate, by system. ``default`` says what ``None`` means: pending or latest."""
    if not results.has_table(con, "audit", "deliveries"):
        raise ValidationError("the warehouse has no audit.deliveries: load it with `crmwh ingest` first")
    rows = con.execute(f"SELECT batch_id, system, business_date, status FROM {audit.DELIVERIES}").fetchall()
    by_id = {int(b): (system, day, status) for b, system, day, status in rows}
    notes: list[str] = []
    if batch_ids is not None:
        unknown = sorted(set(batch_ids) - by_id.keys())
        if unknown:
            raise ValidationError(f"no delivery with batch id {unknown} in audit.deliveries")
        skipped = sorted(b for b in set(batch_ids) if by_id[b][2] != audit.LOADED)
        if skipped:
            notes.append(f"deliveries {skipped} are not LOADED (rejected or superseded): not validated")
        chosen = {b for b in batch_ids if by_id[b][2] == audit.LOADED}
    elif default == "latest":
        latest: dict[str, tuple[Any, int]] = {}
        for b, (system, day, status) in by_id.items():
            if status == audit.LOADED and (system not in latest or (day, b) > latest[system]):
                latest[system] = (day, b)
        chosen = {b for _, b in latest.values()}
    else:
        done = results.validated_batch_ids(con)
        chosen = {b for b, (_, _, status) in by_id.items() if status == audit.LOADED and b not in done}
        if not chosen:
            notes.append("no delivery is waiting for validation: the raw stage had nothing to check")
    by_system: dict[str, list[int]] = {}
    for b in sorted(chosen):
        by_system.setdefault(by_id[b][0], []).append(b)
    return by_system, notes


def plan(
    warehouse: Path,
    stages: Sequence[str],
    batch_ids: Sequence[int] | None,
    cfg: QualityConfig,
    contracts: ContractSet,
    default_batches: str = "pending",
    only_suites: Sequence[str] | None = None,
) -> Plan:
    unknown = [s for s in stages if s not in STAGES]
    if unknown or not stages:
        raise ValidationError(f"stages must be among {list(STAGES)}, got {list(stages)}")
    suites: list[Suite] = []
    notes: list[str] = []
    chosen: list[int] = []
    con = _connect_read_only(warehouse)
    try:
        if "raw" in stages:
            by_system, notes = _select_batches(con, batch_ids, default_batches)
            chosen = sorted(b for ids in by_system.values() for b in ids)
            suites += build_raw_suites(contracts, cfg, by_system)
        if "marts" in stages:
            suites += build_marts_suites(con, cfg)
    finally:
        con.close()
    if only_suites is not None:
        unknown_suites = sorted(set(only_suites) - {s.name for s in suites})
        if unknown_suites:
            raise ValidationError(f"no suite {unknown_suites} in stages {list(stages)} (or nothing to validate there)")
        suites = [s for s in suites if s.name in set(only_suites)]
    names = [c.name for s in suites for c in s.checks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(f"expectation names must be unique in a run: {duplicates}")
    return Plan(suites=suites, batch_ids=tuple(chosen), notes=tuple(notes))


@contextmanager
def _quiet_gx() -> Iterator[None]:
    logger = logging.getLogger("great_expectations")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _exception_text(info: dict[str, Any]) -> str | None:
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _outcomes(suite: Suite, checks: Sequence[Check], gx_result: Any) -> list[Outcome]:
    by_name = {c.name: c for c in checks}
    out = []
    for r in gx_result.results:
        config = r.expectation_config
        name = (config.meta or {}).get(CHECK_META_KEY)
        chk = by_name[name]
        exception = _exception_text(r.exception_info or {})
        result = dict(r.result or {})
        out.append(
            Outcome(
                stage=suite.stage,
                suite=suite.name,
                name=name,
                severity=chk.severity,
                success=bool(r.success) and exception is None,
                observed=describe_result(config.type, result, exception),
                details=details_json(config.description or "", dict(config.kwargs), result, exception),
            )
        )
    missing = by_name.keys() - {o.name for o in out}
    if missing:  # never let a check vanish silently: an unreported critical check must block
        raise ValidationError(f"GX returned no result for {sorted(missing)} in suite {suite.name}")
    return out


def _validate_stored(
    context: Any, batch: Any, run_id: RunIdentifier, suite: Suite, checks: Sequence[Check]
) -> list[Outcome]:
    """Run ``checks`` as a stored GX validation (suite, definition and result kept in the context for Data Docs)."""
    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.name, expectations=_copies(checks)))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
    )
    return _outcomes(suite, checks, definition.run(result_format="SUMMARY", run_id=run_id))


def _validate(batch: Any, suite: Suite, checks: Sequence[Check], result_format: str) -> list[Outcome]:
    """Run ``checks`` on ``batch`` without storing anything: the same GX validation as a stored run (same
    expectations, metrics and SQL), minus serialising the suite, the definition and the result into the context's
    stores, which costs GX more than many of the checks themselves."""
    gx_suite = gx.ExpectationSuite(name=suite.name, expectations=_copies(checks))
    return _outcomes(suite, checks, batch.validate(gx_suite, result_format=result_format))


def _copies(checks: Sequence[Check]) -> list[Any]:
    # handing GX the whole list at once saves it re-serialising the suite after every expectation; copies, because
    # GX ties an expectation to the suite it is added to
    return [c.expectation.copy(update={"id": None}) for c in checks]


def execute(
    warehouse: Path,
    suites: Sequence[Suite],
    run_id: str,
    run_at: datetime,
    docs_dir: Path | None = None,
    progress: bool = False,
) -> tuple[list[Outcome], str | None]:
    """Validate every suite with GX; optionally render the Data Docs site into ``docs_dir``."""
    outcomes: list[Outcome] = []
    docs_index = None
    if not suites:
        return outcomes, docs_index
    with duckdb_results_buffered(), _quiet_gx():
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        for site in list(context.variables.data_docs_sites or {}):
            context.delete_data_docs_site(site)
        if docs_dir is not None:
            docs_dir.mkdir(parents=True, exist_ok=True)
            context.add_data_docs_site(
                DOCS_SITE,
                {
                    "class_name": "SiteBuilder",
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
        source = context.data_sources.add_sql(
            name=_DATASOURCE,
            connection_string=f"duckdb:///{warehouse}",
            kwargs={
                "connect_args": {"read_only": True},
                # SQLAlchemy rolls a returned connection back twice (the connection, then the pool); DuckDB answers
                # the second rollback with an exception that duckdb-engine swallows, about 2 ms on each of GX's
                # hundreds of queries. The file is open read-only: there is nothing to reset.
                "pool_reset_on_return": None,
            },
            # every suite's query asset at once: each asset or batch definition added one by one re-serialises the
            # whole datasource into the context's config
            assets=[
                {"type": "query", "name": suite.name, "query": suite.query, "batch_definitions": [{"name": _BATCH}]}
                for suite in suites
            ],
        )
        gx_run_id = RunIdentifier(run_name=run_id, run_time=run_at)

        try:
            for suite in tqdm(suites, desc="validate", unit="suite", disable=not progress):
                batch_definition = source.get_asset(suite.name).get_batch_definition(_BATCH)
                if docs_dir is not None:
                    outcomes += _validate_stored(context, batch_definition, gx_run_id, suite, suite.checks)
                    continue
                batch = batch_definition.get_batch()
                # Pass/fail alone is about twice as fast as GX's summaries; only what failed is run again for
                # the observed values the report and the results table show.
                quick = _validate(batch, suite, suite.checks, "BOOLEAN_ONLY")
                failed = [c for c in suite.checks if c.name in {o.name for o in quick if not o.success}]
                if failed:
                    detail = {o.name: o for o in _validate(batch, suite, failed, "SUMMARY")}
                    quick = [detail.get(o.name, o) for o in quick]
                outcomes += quick
            if docs_dir is not None and suites:
                docs_index = context.build_data_docs(site_names=[DOCS_SITE])[DOCS_SITE]
        finally:
            source.get_execution_engine().close()
            source.get_engine().dispose()
            # GX keeps the last context in a module global: drop it, so that a long-lived process (a scheduler, the
            # build) does not keep every run's context, engine and metric caches alive
            set_context(None)
            gc.collect()
    return outcomes, docs_index


def loaded_batch_ids(warehouse: Path) -> list[int]:
    """Every LOADED delivery of ``warehouse`` (to re-validate everything: ``run_validation(w, batch_ids=...)``)."""
    con = _connect_read_only(warehouse)
    try:
        if not results.has_table(con, "audit", "deliveries"):
            return []
        rows = con.execute(
            f"SELECT batch_id FROM {audit.DELIVERIES} WHERE status = ? ORDER BY batch_id", [audit.LOADED]
        ).fetchall()
        return [int(r[0]) for r in rows]
    finally:
        con.close()


def new_run_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S.%fZ")


def _run(
    warehouse: Path,
    stages: Sequence[str],
    batch_ids: Sequence[int] | None,
    run_id: str | None,
    docs_dir: Path | None,
    config_path: Path,
    progress: bool,
    default_batches: str,
    only_suites: Sequence[str] | None = None,
) -> ValidationReport:
    started = time.perf_counter()
    warehouse = Path(warehouse).resolve()  # GX gets it as a URL, where a relative path would be read differently
    run_at = datetime.now(UTC).replace(tzinfo=None)
    run_id = run_id or new_run_id(run_at)
    contracts = load_contracts()
    cfg = load_config(config_path, contracts)
    the_plan = plan(warehouse, tuple(stages), batch_ids, cfg, contracts, default_batches, only_suites)
    outcomes, docs_index = execute(warehouse, the_plan.suites, run_id, run_at, docs_dir, progress)
    if docs_dir is not None and docs_index is not None:
        make_offline(docs_dir)
    return ValidationReport(
        run_id=run_id,
        run_at=run_at,
        stages=tuple(stages),
        batch_ids=the_plan.batch_ids,
        outcomes=tuple(outcomes),
        seconds=time.perf_counter() - started,
        notes=the_plan.notes,
        docs_index=str(docs_dir / "index.html") if docs_index is not None and docs_dir is not None else None,
    )


def run_validation(
    warehouse: Path,
    stages: Sequence[str] = ("raw", "marts"),
    batch_ids: Sequence[int] | None = None,
    run_id: str | None = None,
    *,
    record: bool = True,
    results_to: Path | None = None,
    docs_dir: Path | None = None,
    config_path: Path = CONFIG_FILE,
    progress: bool = False,
    suites: Sequence[str] | None = None,
) -> ValidationReport:
    """Validate the warehouse file and (``record``) append the results to its ``quality`` tables.

    ``batch_ids``: the raw deliveries to check; ``None`` means every LOADED delivery no passed run has validated yet.
    ``results_to``: write the results into another DuckDB file instead (e.g. the served warehouse, so that a failed
    build's results survive the discarded working copy). ``docs_dir``: also render Data Docs there (offline assets).
    ``suites``: run only these suites (e.g. ``raw.core__accounts``). The caller must have closed its own connections
    to ``warehouse``.
    """
    report = _run(warehouse, stages, batch_ids, run_id, docs_dir, config_path, progress, "pending", suites)
    if record:
        # a run of some suites only has not validated its deliveries: they stay pending for a full run
        results.record(results_to or warehouse, report if suites is None else replace(report, batch_ids=()))
    return report


def show_run(
    warehouse: Path, docs_dir: Path, stages: Sequence[str], batch_ids: Sequence[int] | None
) -> ValidationReport:
    """A run for Data Docs only: nothing recorded; ``None`` batch ids = each system's latest LOADED delivery."""
    return _run(warehouse, stages, batch_ids, None, docs_dir, CONFIG_FILE, False, "latest")


def build_data_docs(
    warehouse: Path,
    out_dir: Path,
    *,
    stages: tuple[str, ...] = ("raw", "marts"),
    batch_ids: list[int] | None = None,
) -> Path:
    """Validate ``warehouse`` read-only and render the results as a static site in ``out_dir``; returns index.html.

    Nothing is written to the warehouse. Without ``batch_ids`` the raw stage shows the latest LOADED delivery of each
    source system. A site built here before is replaced, so the site shows this run only; any other non-empty
    ``out_dir`` is refused rather than emptied.
    """
    marker = out_dir / MARKER
    if out_dir.exists() and any(out_dir.iterdir()):
        if not marker.exists():
            raise DataDocsError(f"{out_dir} is not empty and holds no Data Docs built here: choose another folder")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("Data Docs built by expectations.build_data_docs; this folder is replaced on every build.\n")
    show_run(warehouse, out_dir, stages, batch_ids)
    index = out_dir / "index.html"
    if not index.exists():
        raise DataDocsError(f"{out_dir}: GX wrote no index.html (was there anything to validate?)")
    return index
