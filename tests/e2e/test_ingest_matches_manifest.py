"""End to end for the extractors: a generated bank, ingested, holds exactly what the generator says it delivered."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from contracts.contract import load_contracts

from support.bank import GeneratedBank

pytestmark = pytest.mark.slow

CONTRACTS = load_contracts()


def _crmwh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crmwh.cli", *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def loaded_bank(tmp_path_factory: pytest.TempPathFactory, generated_bank: GeneratedBank) -> tuple[dict, Path, Path]:
    """The shared generated bank (tests/support/bank.py: 150 days from 1 January, so month_end extracts such as
    statements and accruals are in too), ingested by the loader; this module's copy of the warehouse."""
    warehouse = generated_bank.copy_warehouse(tmp_path_factory.mktemp("bank") / "wh.duckdb")
    return generated_bank.manifest, generated_bank.landing, warehouse


def test_every_extract_row_count_and_amount_sum_equals_the_manifest(loaded_bank: tuple[dict, Path, Path]) -> None:
    manifest, _, warehouse = loaded_bank
    con = duckdb.connect(str(warehouse), read_only=True)
    for contract in CONTRACTS.contracts:
        truth = manifest["extracts"][contract.key]
        decimal_cols = [c.name for c in contract.columns if c.type == "decimal"]
        assert set(truth["sums"]) == set(decimal_cols), contract.key  # the generator summed every decimal column
        select = ", ".join(["count(*)", *(f"sum({c})" for c in decimal_cols)])
        row = con.execute(
            f"SELECT {select} FROM raw.{contract.raw_table} r "
            "JOIN audit.deliveries d ON d.batch_id = r._batch_id AND d.status = 'LOADED'"
        ).fetchone()
        assert row is not None
        assert row[0] == truth["rows"], contract.key
        for col, got in zip(decimal_cols, row[1:], strict=True):
            want = Decimal(truth["sums"][col])
            assert (got or Decimal("0.00")) == want, f"{contract.key}.{col}"
            assert isinstance(got, Decimal | None)
    con.close()


def test_every_delivered_file_is_audited_with_its_checksum_and_counts(loaded_bank: tuple[dict, Path, Path]) -> None:
    manifest, _, warehouse = loaded_bank
    con = duckdb.connect(str(warehouse), read_only=True)
    audited = {
        (system, name): (md5, loaded, rejected)
        for system, name, md5, loaded, rejected in con.execute(
            "SELECT f.system, f.file_name, f.md5, f.rows_loaded, f.rows_rejected FROM audit.delivery_files f "
            "JOIN audit.deliveries d USING (batch_id) WHERE d.status = 'LOADED'"
        ).fetchall()
    }
    assert len(audited) == len(manifest["files"])
    for entry in manifest["files"]:
        md5, loaded, rejected = audited[(entry["system"], Path(entry["file"]).name)]
        assert (md5, loaded, rejected) == (entry["md5"], entry["rows"], 0)
    con.close()


def test_every_raw_row_traces_back_to_its_file_and_line(loaded_bank: tuple[dict, Path, Path]) -> None:
    _, landing, warehouse = loaded_bank
    con = duckdb.connect(str(warehouse), read_only=True)
    contract = CONTRACTS.get("core.transactions")
    source_file, line, txn_id, amount = con.execute(
        f"SELECT _source_file, _line_number, txn_id, amount FROM raw.{contract.raw_table} "
        "ORDER BY _business_date DESC, _line_number DESC LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    con.close()
    path = next(landing.rglob(Path(source_file).name))
    fields = path.read_bytes().decode("gbk").splitlines()[line - 1].split("|")  # no header in core files
    assert fields[contract.column_names.index("txn_id")] == txn_id
    assert Decimal(fields[contract.column_names.index("amount")]) == amount


def test_ingesting_the_same_landing_again_changes_nothing(loaded_bank: tuple[dict, Path, Path]) -> None:
    _, landing, warehouse = loaded_bank

    def fingerprint() -> list[tuple]:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            rows = [con.execute("SELECT count(*), max(batch_id) FROM audit.deliveries").fetchone()]
            for contract in CONTRACTS.contracts:
                rows.append(con.execute(f"SELECT count(*), max(_batch_id) FROM raw.{contract.raw_table}").fetchone())
            return rows
        finally:
            con.close()

    before = fingerprint()
    again = _crmwh("ingest", "--landing", str(landing), "--warehouse", str(warehouse), "--quiet")
    assert again.returncode == 0, again.stderr
    assert "0 deliveries loaded" in again.stdout
    assert fingerprint() == before
