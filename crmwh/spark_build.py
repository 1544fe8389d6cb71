"""The Spark engine of ``crmwh build --engine spark``: lake, dbt on Spark, marts written back to DuckDB.

``crmwh build`` (crmwh/build.py) does everything else as on DuckDB: it ingests into its working copy, scores, validates
and publishes that copy with the same atomic swap. Only the dbt step differs:

1. the lake (ingest/lake.py) is made equal to the working copy's raw and audit tables;
2. dbt runs on Spark (crmwh/spark_dbt.py, a child process: ``--target spark``, always a full rebuild), which defines
   the lake's tables at its start (macros/spark_engine.sql) and exports every table it built as parquet;
3. those tables and the seeds replace their namesakes in the working copy (staging, snapshots, intermediate, marts,
   restricted_pii, seeds: what Superset, the reports, the models and the expectations read), and dbt on DuckDB then
   (re)creates the views (the staging views, the predictions views over the scoring tables), which are DuckDB SQL.

The Spark catalog and Spark's own tables live in a folder beside the working copy that is deleted afterwards. Cluster
settings come from the bank profile's ``spark:`` section (docs/scale-out.md, "Running on a cluster").
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import duckdb

from contracts.errors import CrmwhError
from contracts.profile import SparkProfile

# dbt_project/selectors.yml: what runs on Spark (the full build but for the served file's catalog tests), and what
# runs on DuckDB after the write-back (the views, DuckDB SQL over the tables Spark built, and those catalog tests)
SPARK_SELECTOR = "spark"
DUCKDB_AFTER_SPARK_ARGS = ("build", "--selector", "after_spark")
LAKE_SCHEMAS = ("raw", "audit")
ENV_LAKE_TABLES = "CRMWH_SPARK_LAKE_TABLES"
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_SPARK_TYPES = {
    "VARCHAR": "string", "BIGINT": "bigint", "INTEGER": "int", "SMALLINT": "smallint", "TINYINT": "tinyint",
    "DATE": "date", "TIMESTAMP": "timestamp_ntz", "TIMESTAMP WITH TIME ZONE": "timestamp", "BOOLEAN": "boolean",
    "DOUBLE": "double", "FLOAT": "float", "HUGEINT": "decimal(38, 0)",
}


class SparkError(CrmwhError):
    """The Spark engine is not installed or failed; the served warehouse was not replaced."""


def spark_type(duckdb_type: str) -> str:
    """The Spark SQL type a DuckDB column of the lake is read as."""
    kind = duckdb_type.upper()
    if kind in _SPARK_TYPES:
        return _SPARK_TYPES[kind]
    match = _DECIMAL.match(kind)
    if match:
        return f"decimal({match.group(1)}, {match.group(2)})"
    raise SparkError(f"the lake has a column of DuckDB type {duckdb_type}, which the Spark engine does not map")


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def lake_table_statements(lake: Path) -> list[str]:
    """The Spark statements defining every table of the lake (its _tables.json) as a parquet table over its folder.

    ``recursiveFileLookup`` reads the per-batch files under the business_date folders without turning the folder
    names into a column: the table has exactly the columns DuckDB's has."""
    from ingest.lake import read_manifest

    manifest = read_manifest(lake)
    if not manifest:
        raise SparkError(f"the lake {lake} holds no tables: nothing was ingested yet")
    statements = [f"create schema if not exists {schema}" for schema in LAKE_SCHEMAS]
    for qualified, spec in sorted(manifest.items()):
        schema, table = qualified.split(".", 1)
        columns = ", ".join(f"`{name}` {spark_type(kind)}" for name, kind in spec["columns"])  # type: ignore[attr-defined]
        statements.append(f"drop table if exists {schema}.`{table}`")
        statements.append(f"create table {schema}.`{table}` ({columns}) using parquet "
                          f"options (path {_literal(str(spec['location']))}, recursiveFileLookup 'true')")
    return statements


def spark_env(spark: SparkProfile, spark_home: Path, lake: Path) -> dict[str, str]:
    """The CRMWH_SPARK_* variables dbt_project/profiles.yml reads, from the bank profile's ``spark:`` section."""
    return {
        "CRMWH_SPARK_HOME": str(spark_home),
        "CRMWH_SPARK_MASTER": spark.master,
        "CRMWH_SPARK_DRIVER_MEMORY": spark.driver_memory,
        "CRMWH_SPARK_EXECUTOR_MEMORY": spark.executor_memory,
        "CRMWH_SPARK_EXECUTOR_INSTANCES": str(spark.executor_instances),
        "CRMWH_SPARK_EXECUTOR_CORES": str(spark.executor_cores),
        "CRMWH_SPARK_SHUFFLE_PARTITIONS": str(spark.shuffle_partitions),
        ENV_LAKE_TABLES: json.dumps(lake_table_statements(lake)),
    }


def spark_home_for(work: Path, spark: SparkProfile | None = None) -> Path:
    """Where Spark writes its tables and their export during a build: the profile's ``spark.scratch`` (a shared
    filesystem on a cluster), else beside the working copy."""
    if spark is not None and spark.scratch:
        return Path(spark.scratch).absolute() / (work.stem + ".spark")
    return work.with_name(work.stem + ".spark")


def check_installed() -> None:
    """Fail with the one command that installs the engine, before anything is written."""
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkError("the Spark engine is not installed in this virtualenv: run `make setup-spark` "
                         "(Java 17, pyspark, dbt-spark)") from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise SparkError("Spark needs Java 17: `sudo apt-get install openjdk-17-jre-headless` or set JAVA_HOME")


def refresh_lake(work: Path, lake: Path, progress: bool) -> str:
    """Make the lake equal to the working copy's raw and audit tables; the sync's one-line summary."""
    from ingest.lake import sync_lake

    con = duckdb.connect(str(work), read_only=True)
    try:
        return sync_lake(con, lake, progress=progress).summary()
    finally:
        con.close()


class ChildRunner(Protocol):
    def __call__(self, cmd: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]: ...


def run_dbt_on_spark(work: Path, lake: Path, spark: SparkProfile, dbt_args: Sequence[str], quiet: bool,
                     project_dir: Path, env: dict[str, str], run_child: ChildRunner) -> list[dict[str, str]]:
    """Run dbt on Spark over the lake (crmwh/spark_dbt.py) and return the tables it exported (under the spark home).

    ``run_child`` starts the child (crmwh.build.run_child: it dies with the build)."""
    spark_home = spark_home_for(work, spark)
    shutil.rmtree(spark_home, ignore_errors=True)
    export_dir = spark_home / "export"
    spark_home.mkdir(parents=True, mode=0o750)
    target = spark_target_path(project_dir, env)
    child_env = {**env, **spark_env(spark, spark_home, lake), "DBT_TARGET_PATH": str(target)}
    cmd = [sys.executable, "-m", "crmwh.spark_dbt", "--export", str(export_dir), "--", *dbt_args,
           "--target", "spark", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    result = run_child(cmd, env=child_env, cwd=spark_home, capture_output=quiet)
    if result.returncode != 0:
        failed = failed_nodes(target / "run_results.json")
        listing = "".join(f"\n  {node}: {message}" for node, message in failed)
        skipped = skipped_models(target / "run_results.json")
        if skipped:
            listing += f"\n  and {len(skipped)} model(s) skipped for them: {', '.join(skipped)}"
        tail = ((result.stdout or "") + (result.stderr or ""))[-3000:] if quiet and not failed else ""
        raise SparkError(f"`dbt {' '.join(dbt_args)}` on Spark failed with exit code {result.returncode}"
                         + (f"; {len(failed)} node(s) failed:{listing}" if failed else "") + f"\n{tail}".rstrip())
    exported = json.loads((export_dir / "exported.json").read_text(encoding="utf-8"))
    return exported  # type: ignore[no-any-return]


def spark_target_path(project_dir: Path, env: dict[str, str]) -> Path:
    """dbt's target folder for Spark runs: its own, since switching adapters in one folder would throw away dbt's
    partial parse (under the one the environment names, when it names one: each pytest worker has its own)."""
    return Path(env.get("DBT_TARGET_PATH") or project_dir / "target") / "spark"


def failed_nodes(run_results: Path) -> list[tuple[str, str]]:
    """The nodes of a dbt run that failed or errored, with the first line of their message (run_results.json)."""
    if not run_results.is_file():
        return []
    results = json.loads(run_results.read_text(encoding="utf-8")).get("results", [])
    out = []
    for result in results:
        if result.get("status") in ("error", "fail"):
            lines = [line.strip() for line in (result.get("message") or "").splitlines() if line.strip()]
            detail = next((line for line in lines if not line.startswith(("Runtime Error", "Database Error",
                                                                            "Compilation Error"))), "")
            out.append((result["unique_id"], detail[:300]))
    return out


def skipped_models(run_results: Path) -> list[str]:
    """The models a dbt run skipped because something upstream failed (run_results.json)."""
    if not run_results.is_file():
        return []
    results = json.loads(run_results.read_text(encoding="utf-8")).get("results", [])
    return sorted(r["unique_id"].rsplit(".", 1)[-1] for r in results
                  if r.get("status") == "skipped" and r["unique_id"].startswith("model."))


def write_back(work: Path, exported: list[dict[str, str]]) -> int:
    """Replace the working copy's tables by the ones Spark built (one transaction); the number of tables."""
    con = duckdb.connect(str(work))
    try:
        con.execute("BEGIN")
        for table in exported:
            schema, name = table["schema"], table["name"]
            files = str(Path(table["path"]) / "*.parquet").replace("'", "''")
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            is_view = con.execute("SELECT count(*) FROM duckdb_views() WHERE schema_name = ? AND view_name = ? "
                                  "AND NOT internal", [schema, name]).fetchone()
            if is_view and is_view[0]:  # a model that was a view on DuckDB before
                con.execute(f'DROP VIEW "{schema}"."{name}"')
            con.execute(f'CREATE OR REPLACE TABLE "{schema}"."{name}" AS SELECT * FROM read_parquet(\'{files}\')')
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return len(exported)


def build_on_spark(work: Path, lake: Path, spark: SparkProfile, dbt_args: Sequence[str], quiet: bool, *,
                   project_dir: Path, env: dict[str, str], run_child: ChildRunner,
                   run_duckdb_dbt: Callable[[Sequence[str]], None]) -> str:
    """Steps 2 and 3 of the module docstring on the working copy ``work``; a one-line summary. The build passes its
    dbt project, dbt's environment, its child runner and its way of running dbt on DuckDB (crmwh/build.py)."""
    args = list(dbt_args)
    if "--selector" in args:  # the build's own `full` selection, as Spark runs it
        args[args.index("--selector") + 1] = SPARK_SELECTOR
    try:
        exported = run_dbt_on_spark(work, lake, spark, args, quiet, project_dir, env, run_child)
        tables = write_back(work, exported)
    finally:
        shutil.rmtree(spark_home_for(work, spark), ignore_errors=True)
    run_duckdb_dbt(DUCKDB_AFTER_SPARK_ARGS)
    return (f"spark ({spark.master}): {tables} tables and seeds written back to DuckDB; "
            "views and catalog tests on DuckDB")
