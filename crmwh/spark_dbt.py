"""``python -m crmwh.spark_dbt [--export DIR] -- DBT ARGS``: dbt on Spark in this process, then its tables exported.

The child process of ``crmwh build --engine spark`` (crmwh/spark_build.py). dbt-spark's ``method: session`` runs Spark
inside the dbt process, so this is where the Spark session lives; it does three things dbt alone does not:

- keeps ANSI mode on. dbt-spark sets ``spark.sql.ansi.enabled=false`` over whatever the profile says, and with ANSI off
  a DECIMAL overflow becomes NULL. The profile (dbt_project/profiles.yml) asks for ``true``; this keeps its value, and
  the on-run-start check (macros/spark_engine.sql) fails the run if ANSI is not in force all the same;
- refuses a run that is not a full refresh: Spark builds are full rebuilds from the lake (dbt_project.yml, per
  engine), and an incremental run of a row-level model with the placeholder strategy would append;
- exports every table the run built (models materialized as tables, incremental or not, and seeds) as parquet under
  ``DIR/<schema>/<table>/``, with ``DIR/exported.json`` listing them, for the write-back into DuckDB. Timestamps are
  written without a time zone (the session's is UTC), as DuckDB's TIMESTAMP columns are.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

ANSI = "spark.sql.ansi.enabled"
EXPORTED = "exported.json"
_TABLE_MATERIALIZATIONS = {"table", "incremental", "snapshot"}


def keep_profile_ansi_mode() -> None:
    """Let the profile's ``spark.sql.ansi.enabled`` stand instead of dbt-spark's forced ``false``."""
    from dbt.adapters.spark.connections import SparkCredentials

    if getattr(SparkCredentials, "_crmwh_keeps_ansi", False):
        return
    forced = SparkCredentials.__post_init__

    def post_init(self: Any) -> None:
        wanted = (self.server_side_parameters or {}).get(ANSI)
        forced(self)
        if wanted is not None:
            self.server_side_parameters[ANSI] = str(wanted).lower()

    SparkCredentials.__post_init__ = post_init  # type: ignore[method-assign]
    SparkCredentials._crmwh_keeps_ansi = True  # type: ignore[attr-defined]


def export_tables(results: Any, export_dir: Path) -> list[dict[str, str]]:
    """Write every table the dbt run built successfully as parquet under ``export_dir``; return what was written."""
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    exported = []
    for result in results:
        node = result.node
        kind = str(getattr(node, "resource_type", ""))
        if str(result.status) != "success" or not (
                kind == "seed" or (kind == "model" and node.config.materialized in _TABLE_MATERIALIZATIONS)):
            continue
        schema, name = node.schema, node.alias
        frame = spark.table(f"`{schema}`.`{name}`")
        frame = frame.select(*[
            F.col(f"`{f.name}`").cast("timestamp_ntz").alias(f.name) if isinstance(f.dataType, TimestampType)
            else F.col(f"`{f.name}`") for f in frame.schema.fields])
        target = export_dir / schema / name
        frame.coalesce(1).write.mode("overwrite").parquet(str(target))
        exported.append({"schema": schema, "name": name, "path": str(target)})
    (export_dir / EXPORTED).write_text(json.dumps(exported, indent=1), encoding="utf-8")
    return exported


def main(argv: list[str]) -> int:
    export_dir: Path | None = None
    if argv[:1] == ["--export"]:
        export_dir, argv = Path(argv[1]), argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if argv[:1] in (["build"], ["run"]) and "--full-refresh" not in argv:
        print("crmwh.spark_dbt: a Spark build is a full rebuild from the lake: pass --full-refresh", file=sys.stderr)
        return 2
    keep_profile_ansi_mode()
    # pyspark logs every failing statement with its Java stack as JSON; dbt reports the error itself, in one line
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    from dbt.cli.main import dbtRunner

    outcome = dbtRunner().invoke(argv)
    if not outcome.success:
        if outcome.exception is not None:
            print(f"dbt failed: {outcome.exception}", file=sys.stderr)
        return 1
    if export_dir is not None:
        export_dir.mkdir(parents=True, exist_ok=True)
        exported = export_tables(outcome.result, export_dir)
        print(f"crmwh.spark_dbt: exported {len(exported)} tables to {export_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
