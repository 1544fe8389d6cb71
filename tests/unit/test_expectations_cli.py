"""``validate`` and ``quality-docs`` as commands: exit codes and what they print."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from crmwh.cli import cli as main

from support.quality_fixture import build_marts_fixture


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "published.duckdb"
    build_marts_fixture(path)
    return path


def test_validate_passes_records_and_exits_zero(published: Path, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    shutil.copyfile(published, db)
    result = CliRunner().invoke(main, ["validate", "--warehouse", str(db), "--stage", "marts", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("data quality PASSED")
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM quality.validation_runs WHERE passed").fetchone() == (1,)
    finally:
        con.close()


def test_validate_exits_one_naming_the_failed_expectation(published: Path, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    shutil.copyfile(published, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE marts.dim_customer SET rm_id = NULL WHERE segment_code = 'CORPORATE'")
    con.close()
    result = CliRunner().invoke(
        main, ["validate", "--warehouse", str(db), "--stage", "marts", "--suite", "marts.dim_customer", "--no-record",
               "--quiet"])
    assert result.exit_code == 1, result.output
    assert "CRITICAL marts.dim_customer.has_rm (1 unexpected rows)" in result.output


def test_validate_exits_two_when_it_cannot_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", "--warehouse", str(tmp_path / "none.duckdb"), "--quiet"])
    assert result.exit_code == 2
    assert "no such warehouse file" in result.output
