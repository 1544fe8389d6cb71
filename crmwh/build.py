"""``crmwh build``: ingest new deliveries → dbt build → validate → publish, on a private working copy."""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from contracts.errors import CrmwhError
from crmwh import dbt_runs, publish
from crmwh.settings import REPO_ROOT

if TYPE_CHECKING:
    from ingest.loader import ReloadScope

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
ENV_DBT_DATABASE = "CRMWH_DBT_DATABASE"
ENV_DBT_THREADS = "CRMWH_DBT_THREADS"
ENV_DUCKDB_THREADS = "CRMWH_DUCKDB_THREADS"


class BuildError(CrmwhError):
    """A build step failed; the served warehouse was not replaced."""


@dataclass
class BuildReport:
    published: bool = False
    rejected_deliveries: int = 0
    steps: list[tuple[str, float]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def summary(self) -> str:
        timing = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in self.steps)
        state = "published" if self.published else "NOT published"
        return f"build {state} ({timing})" + "".join(f"\n  {m}" for m in self.messages)


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_parent(parent: int) -> None:
    """In the child, before exec: ask the kernel to kill it when the build process dies, however it dies.

    A build killed with SIGKILL runs no cleanup of its own; without this its dbt went on writing into a working copy
    nobody would publish, holding the project's target folder. The signal survives the exec of dbt. If the parent is
    already gone (it died between fork and here), leave at once.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        os._exit(127)
    if os.getppid() != parent:
        os._exit(127)


def run_child(cmd: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """``subprocess.run`` for a child that must not outlive the build (on Linux; elsewhere a plain run)."""
    if sys.platform.startswith("linux"):
        kwargs["preexec_fn"] = functools.partial(_die_with_parent, os.getpid())
    return subprocess.run(list(cmd), text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


ENV_REPORTING_CURRENCY = "CRMWH_REPORTING_CURRENCY"


def dbt_threads_env(environ: Mapping[str, str], cores: int | None) -> dict[str, str]:
    """dbt threads x DuckDB threads = the machine's cores (dbt_project/profiles.yml): two models at a time unless
    CRMWH_DBT_THREADS says otherwise, DuckDB on the cores left per model unless CRMWH_DUCKDB_THREADS says otherwise."""
    dbt_threads = max(1, int(environ.get(ENV_DBT_THREADS) or 2))
    duckdb_threads = environ.get(ENV_DUCKDB_THREADS) or str(max(1, (cores or 1) // dbt_threads))
    return {ENV_DBT_THREADS: str(dbt_threads), ENV_DUCKDB_THREADS: duckdb_threads}


def dbt_env(database: Path) -> dict[str, str]:
    """The environment dbt runs in on ``database`` (the working copy)."""
    from contracts.profile import load_profile

    # the profile in force (CRMWH_BANK_PROFILE or contracts/bank.yaml): dbt's macro reporting_currency reads it
    return {**os.environ, ENV_DBT_DATABASE: str(database), "DO_NOT_TRACK": "1",
            ENV_REPORTING_CURRENCY: load_profile().reporting_currency, **dbt_threads_env(os.environ, os.cpu_count())}


def run_dbt(database: Path, args: Sequence[str], quiet: bool = False) -> None:
    """Run a dbt command on ``database`` (the working copy); raise BuildError when it fails."""
    env = dbt_env(database)
    cmd = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    try:
        result = run_child(cmd, env=env, cwd=DBT_PROJECT_DIR, capture_output=quiet)
    finally:
        # where DuckDB spilled beyond its memory limit (dbt_project/profiles.yml): nothing in it outlives the run
        shutil.rmtree(publish.spill_path(database), ignore_errors=True)
    if result.returncode != 0:
        tail = (result.stdout or "")[-4000:] if quiet else ""
        raise BuildError(f"`dbt {' '.join(args)}` failed with exit code {result.returncode}\n{tail}".rstrip())


def _timed(report: BuildReport, name: str, step: Callable[[], object]) -> object:
    start = time.perf_counter()
    result = step()
    report.steps.append((name, time.perf_counter() - start))
    return result


def score_with_latest_model(work: Path, models: Path) -> str | None:
    """Score the latest complete month with the model `crmwh train` saved last (nothing when none was trained).

    Scoring that cannot run (no complete month yet) is reported, not fatal: the warehouse still publishes, with the
    scores of earlier builds."""
    import duckdb

    from models import ModelError, latest_artifact, score_warehouse

    artifact = latest_artifact(models)
    if artifact is None:
        return f"no churn model under {models}: scores not written (run `crmwh train`)"
    con = duckdb.connect(str(work))
    try:
        return score_warehouse(con, artifact).summary()
    except ModelError as exc:
        return f"scores not written: {exc}"
    finally:
        con.close()


def score_with_marketing_models(work: Path, models: Path) -> list[str]:
    """Score the latest complete month with the next-best-product model and assign the behavioural segments with the
    models `crmwh train` saved last; like the churn scores, what cannot run is reported, not fatal."""
    import duckdb

    from models import ModelError
    from models.marketing_artifacts import latest_propensity, latest_segments
    from models.marketing_scoring import score_propensity, score_segments

    messages = []
    con = duckdb.connect(str(work))
    try:
        for kind, latest, score in (("propensity", latest_propensity, score_propensity),
                                    ("segmentation", latest_segments, score_segments)):
            try:
                artifact = latest(models)
                if artifact is None:
                    messages.append(f"no {kind} model under {models}: not scored (run `crmwh train`)")
                    continue
                messages.append(score(con, artifact).summary())  # type: ignore[arg-type]
            except ModelError as exc:
                messages.append(f"{kind} not scored: {exc}")
    finally:
        con.close()
    return messages


def run_build(
    landing: Path,
    served: Path,
    *,
    ingest: bool = True,
    validate: bool = True,
    full_refresh: bool = False,
    progress: bool = True,
    models: Path | None = None,
    reload: ReloadScope | None = None,
    engine: str = "duckdb",
    lake: Path | None = None,
) -> BuildReport:
    """Build the warehouse into a working copy and publish it atomically over ``served``.

    Deliveries the loader rejects are reported (and make the command exit non-zero) but do not stop the build: the
    rest of the bank's data still publishes. A failed dbt build or a failed critical expectation stops it and the last
    good warehouse keeps being served. ``reload``: a corrected delivery of a past date (and systems) replaces its
    loaded batch — under the build's lock, in the working copy, like everything else the build does.
    ``engine="spark"``: dbt runs on Spark over the lake ``lake`` (crmwh/spark_build.py), always in full, and its tables
    are written back into the working copy before scoring, validation and publishing.
    """
    from ingest.loader import ingest_landing

    if engine == "spark":
        from crmwh import spark_build

        spark_build.check_installed()
        if lake is None:
            raise BuildError("the Spark engine needs a lake folder")

    report = BuildReport()
    lock = "build" if reload is None else f"build --reload {reload.day:%Y-%m-%d}"
    with publish.build_lock(served, lock):
        work = publish.prepare_work_copy(served)
        try:
            if ingest:
                ingested = _timed(
                    report,
                    "ingest",
                    lambda: ingest_landing(landing=landing, warehouse=work, reload=reload or False, systems=None,
                                           progress=progress),
                )
                report.messages.append(ingested.summary())  # type: ignore[attr-defined]
                report.rejected_deliveries = len(ingested.rejected)  # type: ignore[attr-defined]
            plan = dbt_runs.plan_build(work, DBT_PROJECT_DIR, force_full=full_refresh or engine == "spark")
            report.messages.append(f"dbt build: {plan.mode} ({plan.reason})")
            started_at = dbt_runs.now()
            if engine == "spark":
                from contracts.profile import load_profile

                assert lake is not None
                spark_lake: Path = lake

                def on_spark() -> str:
                    return spark_build.build_on_spark(
                        work, spark_lake, load_profile().spark, plan.dbt_args, quiet=not progress,
                        project_dir=DBT_PROJECT_DIR, env=dbt_env(work), run_child=run_child,
                        run_duckdb_dbt=lambda args: run_dbt(work, args, quiet=not progress))

                report.messages.append(str(_timed(report, "lake", lambda: spark_build.refresh_lake(
                    work, spark_lake, progress))))
                report.messages.append(str(_timed(report, "dbt build (spark, full)", on_spark)))
            else:
                _timed(report, f"dbt build ({plan.mode})", lambda: run_dbt(work, plan.dbt_args, quiet=not progress))
            dbt_runs.record_build(work, plan, started_at, report.steps[-1][1])
            if models is not None:
                scored = _timed(report, "score", lambda: score_with_latest_model(work, models))
                if scored:
                    report.messages.append(scored)
                marketing = _timed(report, "score marketing", lambda: score_with_marketing_models(work, models))
                report.messages.extend(marketing)  # type: ignore[arg-type]
            if validate:
                from expectations import run_validation

                validation = _timed(report, "validate", lambda: run_validation(work))
                report.messages.append(validation.summary())  # type: ignore[attr-defined]
                if not validation.passed:  # type: ignore[attr-defined]
                    failed = ", ".join(validation.critical_failures)  # type: ignore[attr-defined]
                    raise BuildError(f"critical expectations failed: {failed}")
            _timed(report, "publish", lambda: publish.publish(work, served))
            report.published = True
        except BaseException:
            publish.discard(work)
            raise
    return report
