"""Which kind of `dbt build` a warehouse needs, and the record of the builds it had.

A warehouse built by today's project code only needs today's deliveries folded in: the incremental models rebuild the
months and batches the new deliveries touch, and the seeds (parameters) are already in place. When the project code or a
parameter changed since the last build, every month already built was computed by other rules, so the build recomputes
everything from raw (``--full-refresh``): the marts always equal what a fresh build of the same extracts gives.

The fingerprint is a hash of what decides the marts' contents: ``dbt_project.yml``, models, macros, seeds and
selectors. Singular tests, fixtures and docs do not change data and are left out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

BUILDS_TABLE = "audit.dbt_builds"
FINGERPRINTED = ("dbt_project.yml", "selectors.yml", "models", "macros", "seeds")

FULL = "full"
INCREMENTAL = "incremental"

# Unit tests check the SQL against fixtures, not the bank's data: they run with the test suite (`make test`), as dbt
# recommends, never in a production build. Both selectors (dbt_project/selectors.yml) run the generic data tests in one
# node (dbt_project/macros/tests/daily_scope.sql) instead of ~660 nodes of dbt's fixed cost each: `full` over every
# row, `daily` over the rows the build wrote. The daily selector also leaves out the seeds and their tests and the
# views, which only change with the project code; its rows written are those of batches newer than the newest the
# previous build had seen, which the macro reads from the newest row of BUILDS_TABLE. The command is the same every
# day, so dbt keeps its partial parse (a `--vars` that changed daily made every build parse the project again).
FULL_REFRESH_ARGS = ("build", "--full-refresh", "--selector", "full")
INCREMENTAL_ARGS = ("build", "--selector", "daily")


@dataclass(frozen=True)
class BuildPlan:
    mode: str
    reason: str
    fingerprint: str
    max_batch_id: int  # the newest delivery this build sees
    # incremental: the newest delivery the previous build saw; the daily data tests read the rows of later ones
    tests_after_batch: int | None = None

    @property
    def dbt_args(self) -> tuple[str, ...]:
        if self.mode == FULL or self.tests_after_batch is None:
            return FULL_REFRESH_ARGS
        return INCREMENTAL_ARGS


def project_fingerprint(project_dir: Path) -> str:
    """SHA-256 over the relative path and bytes of every file that decides the marts' contents."""
    digest = hashlib.sha256()
    files: list[Path] = []
    for name in FINGERPRINTED:
        path = project_dir / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in sorted(files, key=lambda p: p.relative_to(project_dir).as_posix()):
        digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS audit")
    con.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {BUILDS_TABLE} (
            build_id INTEGER NOT NULL PRIMARY KEY,
            project_fingerprint VARCHAR NOT NULL,
            mode VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            dbt_args VARCHAR NOT NULL,
            max_batch_id BIGINT NOT NULL,
            started_at TIMESTAMP NOT NULL,
            dbt_seconds DECIMAL(12, 3) NOT NULL
        )
        """
    )


@dataclass(frozen=True)
class LastBuild:
    fingerprint: str
    max_batch_id: int


def _query_if_table(database: Path, schema: str, table: str, sql: str) -> tuple | None:
    """The first row of ``sql`` on ``database`` (read-only); ``None`` when the file or ``schema.table`` is missing."""
    if not database.exists():
        return None
    con = duckdb.connect(str(database), read_only=True)
    try:
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, table]
        ).fetchone()
        return con.execute(sql).fetchone() if exists and exists[0] else None
    finally:
        con.close()


def last_build(database: Path) -> LastBuild | None:
    """The newest recorded build of ``database``; ``None`` when it never had one."""
    row = _query_if_table(
        database, "audit", "dbt_builds",
        f"SELECT project_fingerprint, max_batch_id FROM {BUILDS_TABLE} ORDER BY build_id DESC LIMIT 1",
    )
    return None if row is None else LastBuild(str(row[0]), int(row[1]))


def newest_batch_id(database: Path) -> int:
    """The newest delivery (any status) in ``audit.deliveries``; 0 before the first ingest."""
    row = _query_if_table(database, "audit", "deliveries", "SELECT coalesce(max(batch_id), 0) FROM audit.deliveries")
    return 0 if row is None else int(row[0])


def withdrawals_since_last_build(database: Path) -> int:
    """Deliveries withdrawn (``crmwh withdraw``) after the newest recorded build started."""
    if last_build(database) is None:
        return 0
    row = _query_if_table(
        database, "audit", "withdrawals",
        f"SELECT count(*) FROM audit.withdrawals WHERE withdrawn_at >= (SELECT max(started_at) FROM {BUILDS_TABLE})",
    )
    return 0 if row is None else int(row[0])


def plan_build(database: Path, project_dir: Path, force_full: bool = False) -> BuildPlan:
    """Full refresh when asked, on the first build and after a change of project code; else incremental."""
    fingerprint = project_fingerprint(project_dir)
    newest = newest_batch_id(database)
    if force_full:
        return BuildPlan(FULL, "--full-refresh asked for", fingerprint, newest)
    previous = last_build(database)
    if previous is None:
        return BuildPlan(FULL, "first build of this warehouse", fingerprint, newest)
    if previous.fingerprint != fingerprint:
        return BuildPlan(FULL, "project code or parameters changed since the last build", fingerprint, newest)
    if withdrawals_since_last_build(database):
        # incremental models only add what is new: rows of a withdrawn delivery would stay in them
        return BuildPlan(FULL, "deliveries were withdrawn since the last build", fingerprint, newest)
    return BuildPlan(INCREMENTAL, "same project code as the last build", fingerprint, newest, previous.max_batch_id)


def record_build(database: Path, plan: BuildPlan, started_at: datetime, dbt_seconds: float) -> None:
    """Append the build to ``audit.dbt_builds`` of ``database`` (the working copy, before it is published)."""
    con = duckdb.connect(str(database))
    try:
        _ensure_table(con)
        con.execute(
            f"""
            INSERT INTO {BUILDS_TABLE}
            SELECT coalesce(max(build_id), 0) + 1, ?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(12, 3)) FROM {BUILDS_TABLE}
            """,
            [plan.fingerprint, plan.mode, plan.reason, " ".join(plan.dbt_args), plan.max_batch_id,
             started_at.astimezone(UTC).replace(tzinfo=None), f"{dbt_seconds:.3f}"],
        )
    finally:
        con.close()


def now() -> datetime:
    return datetime.now(UTC)
