"""The lake (ingest/lake.py) mirrors a warehouse's raw and audit tables exactly, batch by batch, and the Spark engine's
table definitions over it (crmwh/spark_build.py) keep DuckDB's columns."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from contracts.profile import ProfileError, parse_profile
from crmwh.spark_build import SparkError, lake_table_statements, spark_type
from ingest.lake import MANIFEST, export_warehouse, read_manifest, sync_lake


def _warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA audit")
    con.execute("CREATE TABLE raw.core__balances (account_no VARCHAR, balance DECIMAL(18, 2), _batch_id BIGINT, "
                "_business_date DATE, _loaded_at TIMESTAMP)")
    con.execute("CREATE TABLE raw.ref__products (product_code VARCHAR, _batch_id BIGINT, _business_date DATE)")
    con.execute("CREATE TABLE audit.deliveries (batch_id BIGINT, system VARCHAR, business_date DATE, status VARCHAR)")
    return con


def _load(con: duckdb.DuckDBPyConnection, batch: int, day: str, balances: list[tuple[str, str]]) -> None:
    con.executemany("INSERT INTO raw.core__balances "
                    "VALUES (?, CAST(? AS DECIMAL(18, 2)), ?, ?, TIMESTAMP '2025-01-01')",
                    [(account, amount, batch, day) for account, amount in balances])
    con.execute("INSERT INTO audit.deliveries VALUES (?, 'core', ?, 'LOADED')", [batch, day])


def _lake_rows(lake: Path, query: str) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    try:
        return con.execute(query.replace("LAKE", str(lake))).fetchall()
    finally:
        con.close()


def _files(lake: Path) -> list[str]:
    return sorted(p.relative_to(lake).as_posix() for p in (lake / "raw").rglob("*.parquet"))


def test_sync_writes_one_file_per_batch_and_the_same_rows(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    _load(con, 1, "2025-01-01", [("A", "1234567890123456.78"), ("B", "-0.01")])
    _load(con, 2, "2025-01-02", [("A", "1.10")])
    lake = tmp_path / "lake"
    report = sync_lake(con, lake)
    assert report.batches_written == 2 and report.rows_written == 3
    assert _files(lake) == ["raw/core__balances/business_date=2025-01-01/batch-1-rows-2.parquet",
                            "raw/core__balances/business_date=2025-01-02/batch-2-rows-1.parquet"]
    back = _lake_rows(lake, "SELECT account_no, balance, _batch_id FROM 'LAKE/raw/core__balances/**/*.parquet' "
                            "ORDER BY _batch_id, account_no")
    assert back == con.execute("SELECT account_no, balance, _batch_id FROM raw.core__balances "
                               "ORDER BY _batch_id, account_no").fetchall()
    assert back[0][1] == Decimal("1234567890123456.78")  # money stays an exact DECIMAL
    # a second sync of the same warehouse writes nothing
    again = sync_lake(con, lake)
    assert (again.batches_written, again.batches_removed) == (0, 0)
    # an extract without any batch yet still has its folder, so Spark reads it as an empty table
    assert (lake / "raw" / "ref__products").is_dir()
    manifest = read_manifest(lake)
    assert manifest["raw.core__balances"]["columns"][1] == ["balance", "DECIMAL(18,2)"]
    assert set(manifest) == {"raw.core__balances", "raw.ref__products", "audit.deliveries"}


def test_sync_follows_reloads_and_withdrawals(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    _load(con, 1, "2025-01-01", [("A", "1.00")])
    _load(con, 2, "2025-01-02", [("A", "2.00")])
    lake = tmp_path / "lake"
    sync_lake(con, lake)
    # a reload of 2025-01-02: a new batch, the old one SUPERSEDED in the audit
    _load(con, 3, "2025-01-02", [("A", "2.50"), ("B", "0.50")])
    con.execute("UPDATE audit.deliveries SET status = 'SUPERSEDED' WHERE batch_id = 2")
    report = sync_lake(con, lake)
    assert (report.batches_written, report.batches_removed) == (1, 0)
    statuses = _lake_rows(lake, "SELECT batch_id, status FROM 'LAKE/audit/deliveries/*.parquet' ORDER BY 1")
    assert statuses == [(1, "LOADED"), (2, "SUPERSEDED"), (3, "LOADED")]
    # a withdrawal deletes the batch's raw rows: its file goes too
    con.execute("DELETE FROM raw.core__balances WHERE _batch_id = 1")
    report = sync_lake(con, lake)
    assert (report.batches_written, report.batches_removed) == (0, 1)
    assert not (lake / "raw" / "core__balances" / "business_date=2025-01-01").exists()
    # a batch whose rows changed in place is written again
    con.execute("DELETE FROM raw.core__balances WHERE _batch_id = 3 AND account_no = 'B'")
    report = sync_lake(con, lake)
    assert (report.batches_written, report.batches_removed) == (1, 1)
    assert _lake_rows(lake, "SELECT count(*) FROM 'LAKE/raw/core__balances/**/*.parquet'") == [(2,)]


def test_export_rebuilds_a_lake_from_a_warehouse_file(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    _load(con, 1, "2025-01-01", [("A", "1.00")])
    con.close()
    lake = tmp_path / "lake"
    (lake / "raw" / "core__balances" / "business_date=2024-12-31").mkdir(parents=True)
    (lake / "raw" / "core__balances" / "business_date=2024-12-31" / "batch-9-rows-1.parquet").write_bytes(b"stale")
    report = export_warehouse(tmp_path / "w.duckdb", lake)
    assert (report.batches_written, report.batches_removed) == (1, 1)
    assert _files(lake) == ["raw/core__balances/business_date=2025-01-01/batch-1-rows-1.parquet"]
    assert json.loads((lake / MANIFEST).read_text(encoding="utf-8"))


def test_spark_table_definitions_keep_duckdb_columns(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    lake = tmp_path / "la'ke"
    sync_lake(con, lake)
    statements = lake_table_statements(lake)
    create = next(s for s in statements if s.startswith("create table raw.`core__balances`"))
    assert ("(`account_no` string, `balance` decimal(18, 2), `_batch_id` bigint, `_business_date` date, "
            "`_loaded_at` timestamp_ntz) using parquet") in create
    assert "path '" + str(lake / "raw" / "core__balances").replace("'", "\\'") + "'" in create
    assert "recursiveFileLookup 'true'" in create
    with pytest.raises(SparkError, match="INTERVAL"):
        spark_type("INTERVAL")
    with pytest.raises(SparkError, match="nothing was ingested"):
        lake_table_statements(tmp_path / "empty")


def test_profile_engine_and_spark_settings(tmp_path: Path) -> None:
    base = "reporting_currency: CNY\nsystems: {core: {}}\n"
    path = tmp_path / "bank.yaml"
    path.write_text(base, encoding="utf-8")
    default = parse_profile(path)
    assert default.engine == "duckdb" and default.spark.master == "local[2]"
    path.write_text(base + "engine: spark\nspark: {master: 'spark://m:7077', executor_instances: 8, lake: /mnt/l}\n",
                    encoding="utf-8")
    profile = parse_profile(path)
    assert (profile.engine, profile.spark.master, profile.spark.executor_instances, profile.spark.lake) == (
        "spark", "spark://m:7077", 8, "/mnt/l")
    for bad, message in (("engine: oracle", "engine must be one of"), ("spark: {executors: 2}", "unknown key"),
                         ("spark: {executor_cores: 0}", "positive whole number"), ("spark: {master: ''}", "text")):
        path.write_text(base + bad + "\n", encoding="utf-8")
        with pytest.raises(ProfileError, match=message):
            parse_profile(path)


def test_spark_runs_are_full_rebuilds() -> None:
    from crmwh.spark_dbt import main

    assert main(["--", "build", "--selector", "full"]) == 2


def test_a_failed_spark_run_names_its_failed_and_skipped_models(tmp_path: Path) -> None:
    from crmwh.spark_build import failed_nodes, skipped_models

    results = tmp_path / "run_results.json"
    results.write_text(json.dumps({"results": [
        {"unique_id": "model.crmwh.int_parties", "status": "error",
         "message": "Runtime Error in model int_parties\n  Runtime Error\n    [UNRESOLVED_ROUTINE] arg_min"},
        {"unique_id": "model.crmwh.dim_customer", "status": "skipped", "message": None},
        {"unique_id": "test.crmwh.not_null_x", "status": "skipped", "message": None},
        {"unique_id": "model.crmwh.stg_core__balances", "status": "success", "message": "OK"},
    ]}), encoding="utf-8")
    assert failed_nodes(results) == [("model.crmwh.int_parties", "[UNRESOLVED_ROUTINE] arg_min")]
    assert skipped_models(results) == ["dim_customer"]
    assert failed_nodes(tmp_path / "none.json") == [] and skipped_models(tmp_path / "none.json") == []
