"""The same dbt project on Spark gives the same marts as on DuckDB (issue 18, "Parity in CI").

The suite's generated bank (tests/support/bank.py: scale 0.01, 150 days), built by DuckDB through ``crmwh build``, is
built again from the same raw layer by ``crmwh build --engine spark`` on Spark local[2]: lake, dbt on Spark, tables
written back, views on DuckDB, publish. Every mart (each table and view of schema ``marts``) and every seed must then
be the same on both: the same columns, the same row count, the same exact DECIMAL sum of every DECIMAL column and the
same row fingerprint (bench/marts_hash.py: the MD5 over the sorted MD5s of the rows' text). The failure lists every
relation that differs, or every dbt node that failed on Spark with its error.

Spark is optional for a user (`make setup-spark`): without Java or pyspark the test is skipped, unless
CRMWH_REQUIRE_SPARK=1 (CI's Spark leg, .ci/run) makes a missing engine a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from bench.marts_hash import table_fingerprint
from tests.support.bank import GeneratedBank

pytestmark = pytest.mark.slow

COMPARED_SCHEMAS = ("marts", "seeds")


def _spark_available() -> str | None:
    """Why the Spark engine cannot run here (None when it can)."""
    for module in ("pyspark", "dbt.adapters.spark"):
        if importlib.util.find_spec(module.split(".")[0]) is None or importlib.util.find_spec(module) is None:
            return f"{module} is not installed (make setup-spark)"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java (apt-get install openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="module")
def spark_ready() -> None:
    missing = _spark_available()
    if missing:
        if os.environ.get("CRMWH_REQUIRE_SPARK") == "1":
            pytest.fail(f"CRMWH_REQUIRE_SPARK=1 but the Spark engine cannot run: {missing}")
        pytest.skip(f"Spark engine not installed: {missing}")


def _relations(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
        [schema]).fetchall()]


def _decimal_sums(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, Decimal | None]:
    columns = [name for name, kind in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [schema, table]).fetchall() if str(kind).upper().startswith("DECIMAL")]
    if not columns:
        return {}
    sums = con.execute("SELECT " + ", ".join(f'sum("{c}")' for c in columns)
                       + f' FROM "{schema}"."{table}"').fetchone()
    assert sums is not None
    return dict(zip(columns, sums, strict=True))


def _profile(database: Path) -> dict[str, dict[str, object]]:
    """Per ``schema.relation``: columns, rows, the fingerprint and the exact DECIMAL sums."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.execute("SET preserve_insertion_order = false")
        out: dict[str, dict[str, object]] = {}
        for schema in COMPARED_SCHEMAS:
            for table in _relations(con, schema):
                fingerprint = table_fingerprint(con, schema, table)
                out[f"{schema}.{table}"] = {"columns": fingerprint["columns"], "rows": fingerprint["rows"],
                                            "md5": fingerprint["md5"], "sums": _decimal_sums(con, schema, table)}
        return out
    finally:
        con.close()


def _differences(duck: dict[str, dict[str, object]], spark: dict[str, dict[str, object]]) -> list[str]:
    out = []
    for name in sorted(set(duck) | set(spark)):
        if name not in spark:
            out.append(f"{name}: missing on Spark")
            continue
        if name not in duck:
            out.append(f"{name}: only on Spark")
            continue
        a, b = duck[name], spark[name]
        if a["columns"] != b["columns"]:
            out.append(f"{name}: columns {a['columns']} on DuckDB, {b['columns']} on Spark")
        elif a["rows"] != b["rows"]:
            out.append(f"{name}: {a['rows']} rows on DuckDB, {b['rows']} on Spark")
        elif a["sums"] != b["sums"]:
            sums_a, sums_b = a["sums"], b["sums"]
            assert isinstance(sums_a, dict) and isinstance(sums_b, dict)
            cols = [c for c in sums_a if sums_a[c] != sums_b.get(c)]
            out.append(f"{name}: DECIMAL sums differ in {cols}: "
                       + ", ".join(f"{c} {sums_a[c]} vs {sums_b.get(c)}" for c in cols[:3]))
        elif a["md5"] != b["md5"]:
            out.append(f"{name}: same rows, counts and sums, but the row contents differ")
    return out


def test_spark_build_gives_the_duckdb_marts(spark_ready: None, generated_bank: GeneratedBank,
                                             tmp_path: Path) -> None:
    from crmwh.build import run_build
    from crmwh.publish import resolve_served
    from crmwh.spark_build import SparkError

    served = generated_bank.copy_warehouse(tmp_path / "served" / "crmwh.duckdb")
    lake = tmp_path / "lake"
    try:
        report = run_build(generated_bank.landing, served, ingest=False, validate=False, progress=False,
                           engine="spark", lake=lake)
    except SparkError as exc:
        pytest.fail(f"the Spark build failed, so no mart could be compared:\n{exc}")
    assert report.published, report.summary()
    # the lake holds every loaded batch of every raw table: one file per batch and table
    con = duckdb.connect(str(generated_bank.warehouse), read_only=True)
    try:
        tables = _relations(con, "raw")
        batches = sum(con.execute(f'SELECT count(DISTINCT _batch_id) FROM raw."{t}"').fetchone()[0]  # type: ignore[index]
                      for t in tables)
    finally:
        con.close()
    assert len(list((lake / "raw").glob("*/business_date=*/batch-*.parquet"))) == batches

    duck, spark = _profile(generated_bank.warehouse), _profile(resolve_served(served))
    assert any(name.startswith("marts.") for name in duck)
    differences = _differences(duck, spark)
    assert not differences, (f"{len(differences)} of {len(duck)} marts and seeds differ between DuckDB and Spark:\n"
                             + "\n".join(differences))


def test_ansi_mode_makes_a_decimal_overflow_an_error(spark_ready: None, tmp_path: Path) -> None:
    """dbt-spark forces ANSI off; crmwh/spark_dbt.py keeps the profile's `true`, under which Spark refuses a DECIMAL
    overflow that it would otherwise turn into NULL (the profile's value, not dbt-spark's, reaches the session)."""
    from dbt.adapters.spark.connections import SparkCredentials
    from pyspark.sql import SparkSession

    from crmwh.spark_dbt import ANSI, keep_profile_ansi_mode

    keep_profile_ansi_mode()
    kept = SparkCredentials(host="localhost", method="session", schema="main", server_side_parameters={ANSI: "true"})
    assert kept.server_side_parameters[ANSI] == "true"
    unset = SparkCredentials(host="localhost", method="session", schema="main")
    assert unset.server_side_parameters[ANSI] == "false"  # dbt-spark's own default when the profile says nothing

    overflow = "select cast(99999999999999999.99 as decimal(19, 2)) * 10 + cast(0 as decimal(18, 2)) as x"
    spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
             .config("spark.sql.warehouse.dir", str(tmp_path / "warehouse")).getOrCreate())
    try:
        spark.conf.set(ANSI, "false")
        assert spark.sql(f"select cast(({overflow}) as decimal(18, 2)) as x").collect()[0]["x"] is None
        spark.conf.set(ANSI, kept.server_side_parameters[ANSI])
        with pytest.raises(Exception, match=r"NUMERIC_VALUE_OUT_OF_RANGE|overflow"):
            spark.sql(f"select cast(({overflow}) as decimal(18, 2)) as x").collect()
    finally:
        spark.stop()
