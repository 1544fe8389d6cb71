"""Which `dbt build` a warehouse gets: a full refresh on its first build and whenever the project code or a parameter
changed, else the daily incremental selector; and the record of every build in ``audit.dbt_builds``."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from crmwh import dbt_runs
from crmwh.build import DBT_PROJECT_DIR


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "dbt_project"
    copy.mkdir()
    for name in ("dbt_project.yml", "selectors.yml"):
        shutil.copy(DBT_PROJECT_DIR / name, copy / name)
    for name in ("models", "macros", "seeds", "tests"):
        shutil.copytree(DBT_PROJECT_DIR / name, copy / name)
    return copy


def _one_seed(project: Path) -> Path:
    return sorted((project / "seeds").rglob("*.csv"))[0]


def test_fingerprint_follows_models_macros_seeds_and_project_file(project: Path) -> None:
    base = dbt_runs.project_fingerprint(project)
    assert base == dbt_runs.project_fingerprint(project)
    seed = _one_seed(project)
    seed.write_text(seed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    after_seed = dbt_runs.project_fingerprint(project)
    assert after_seed != base
    model = sorted((project / "models").rglob("*.sql"))[0]
    model.write_text(model.read_text(encoding="utf-8") + "\n-- changed\n", encoding="utf-8")
    assert dbt_runs.project_fingerprint(project) not in (base, after_seed)


def test_fingerprint_ignores_singular_tests(project: Path) -> None:
    base = dbt_runs.project_fingerprint(project)
    (project / "tests" / "assert_something_new.sql").write_text("select 1 where false\n", encoding="utf-8")
    assert dbt_runs.project_fingerprint(project) == base


def test_fingerprint_sees_a_renamed_file(project: Path) -> None:
    base = dbt_runs.project_fingerprint(project)
    seed = _one_seed(project)
    seed.rename(seed.with_name("renamed_" + seed.name))
    assert dbt_runs.project_fingerprint(project) != base


def test_first_build_is_full_then_incremental_then_full_after_a_change(project: Path, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    first = dbt_runs.plan_build(db, project)
    assert (first.mode, first.dbt_args) == (dbt_runs.FULL, dbt_runs.FULL_REFRESH_ARGS)
    assert "first build" in first.reason

    duckdb.connect(str(db)).close()
    assert dbt_runs.plan_build(db, project).mode == dbt_runs.FULL  # a file without a build record
    dbt_runs.record_build(db, first, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), 12.3456)

    second = dbt_runs.plan_build(db, project)
    assert second.mode == dbt_runs.INCREMENTAL
    assert second.dbt_args == ("build", "--selector", "daily")
    assert dbt_runs.plan_build(db, project, force_full=True).mode == dbt_runs.FULL
    dbt_runs.record_build(db, second, datetime(2026, 1, 3, tzinfo=UTC), 1.0)

    seed = _one_seed(project)
    seed.write_text(seed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    third = dbt_runs.plan_build(db, project)
    assert third.mode == dbt_runs.FULL and "changed" in third.reason

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT build_id, mode, project_fingerprint, dbt_args, started_at, dbt_seconds, max_batch_id "
            "FROM audit.dbt_builds "
            "ORDER BY build_id").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(1, "full"), (2, "incremental")]
    assert rows[0][2] == first.fingerprint
    assert rows[0][3] == "build --full-refresh --selector full"
    assert rows[0][4] == datetime(2026, 1, 2, 3, 4, 5)
    assert rows[0][5] == Decimal("12.346")
    assert rows[1][6] == 0


def test_a_daily_build_tests_the_batches_after_the_previous_build(project: Path, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA audit")
        con.execute("CREATE TABLE audit.deliveries (batch_id BIGINT)")
        con.execute("INSERT INTO audit.deliveries VALUES (1), (2), (3)")
    first = dbt_runs.plan_build(db, project)
    assert (first.mode, first.max_batch_id, first.tests_after_batch) == (dbt_runs.FULL, 3, None)
    dbt_runs.record_build(db, first, datetime(2026, 1, 2, tzinfo=UTC), 1.0)
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO audit.deliveries VALUES (4), (5)")
    daily = dbt_runs.plan_build(db, project)
    assert (daily.mode, daily.max_batch_id, daily.tests_after_batch) == (dbt_runs.INCREMENTAL, 5, 3)
    # the daily data tests read the same number from the newest build record (macros/tests/daily_scope.sql), so the
    # dbt command never changes and dbt keeps its partial parse
    assert daily.dbt_args == dbt_runs.INCREMENTAL_ARGS
    dbt_runs.record_build(db, daily, datetime(2026, 1, 3, tzinfo=UTC), 1.0)
    with duckdb.connect(str(db), read_only=True) as con:
        newest = con.execute("SELECT max_batch_id FROM audit.dbt_builds ORDER BY build_id DESC LIMIT 1").fetchone()
    assert newest == (5,)
    assert dbt_runs.plan_build(db, project).tests_after_batch == 5


def test_a_withdrawal_since_the_last_build_makes_the_next_one_full(project: Path, bank: object) -> None:
    """Incremental models only add what is new: after `crmwh withdraw` the marts are recomputed from raw."""
    from ingest.withdraw import withdraw

    from support.minibank import D1

    db = bank.warehouse  # type: ignore[attr-defined]
    bank.close()  # type: ignore[attr-defined]
    first = dbt_runs.plan_build(db, project)
    dbt_runs.record_build(db, first, datetime.now(UTC), 1.0)
    assert dbt_runs.plan_build(db, project).mode == dbt_runs.INCREMENTAL
    with duckdb.connect(str(db)) as con:
        withdraw(con, bank.contracts, "accounting", D1, "test", requeue=True)  # type: ignore[attr-defined]
    plan = dbt_runs.plan_build(db, project)
    assert (plan.mode, plan.reason) == (dbt_runs.FULL, "deliveries were withdrawn since the last build")
    dbt_runs.record_build(db, plan, datetime.now(UTC), 1.0)
    assert dbt_runs.plan_build(db, project).mode == dbt_runs.INCREMENTAL


def test_dbt_threads_times_duckdb_threads_is_the_cores_unless_set() -> None:
    from crmwh.build import dbt_threads_env

    assert dbt_threads_env({}, 2) == {"CRMWH_DBT_THREADS": "2", "CRMWH_DUCKDB_THREADS": "1"}
    assert dbt_threads_env({}, 8) == {"CRMWH_DBT_THREADS": "2", "CRMWH_DUCKDB_THREADS": "4"}
    assert dbt_threads_env({"CRMWH_DBT_THREADS": "2"}, 8) == {"CRMWH_DBT_THREADS": "2", "CRMWH_DUCKDB_THREADS": "4"}
    assert dbt_threads_env({"CRMWH_DBT_THREADS": "4"}, 2)["CRMWH_DUCKDB_THREADS"] == "1"
    assert dbt_threads_env({"CRMWH_DUCKDB_THREADS": "3"}, None)["CRMWH_DUCKDB_THREADS"] == "3"
