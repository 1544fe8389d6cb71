"""One writer: every command that changes the warehouse holds the build lock and works on a private copy that it
publishes; the served version is only ever opened read-only, so readers (Superset) never meet a writer's lock."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from contracts.errors import ExitCode
from crmwh import publish
from crmwh.cli import cli

from support.deliveries import Bank
from support.minibank import D2

READER = "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True).execute('SELECT 1').fetchone()"


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _serve(bank: Bank) -> Path:
    """Make the bank's warehouse a published version, as after a build; returns the version file."""
    bank.close()
    return publish.publish(publish.prepare_work_copy(bank.warehouse), bank.warehouse)


def _cli(bank: Bank, *args: str) -> Any:
    return CliRunner().invoke(cli, [*args, "--landing", str(bank.landing), "--warehouse", str(bank.warehouse),
                                    "--quiet"])


def _loaded_dates(path: Path, system: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT business_date FROM audit.deliveries WHERE system = ? AND status = 'LOADED' "
                           "ORDER BY 1", [system]).fetchall()
    finally:
        con.close()


def test_ingest_never_writes_the_served_file_and_readers_open_it_meanwhile(bank: Bank,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13.6: chart requests failed with a lock error while `crmwh ingest` wrote into the served file."""
    served_before = _serve(bank)
    md5_before = _md5(served_before)
    from ingest import loader

    readers: list[subprocess.CompletedProcess[str]] = []
    real: Callable[..., Any] = loader.ingest_deliveries

    def ingest_while_reading(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)  # the warehouse connection is still open for writing here
        readers.append(subprocess.run([sys.executable, "-c", READER, str(publish.resolve_served(bank.warehouse))],
                                      capture_output=True, text=True))
        return result

    monkeypatch.setattr(loader, "ingest_deliveries", ingest_while_reading)
    result = _cli(bank, "ingest")
    assert result.exit_code == ExitCode.OK, result.output
    assert readers and readers[0].returncode == 0, readers[0].stderr
    assert _md5(served_before) == md5_before  # the version that was served is untouched
    now = publish.resolve_served(bank.warehouse)
    assert now != served_before and (D2,) in _loaded_dates(now, "core")
    # nothing new: no new version either
    again = _cli(bank, "ingest")
    assert again.exit_code == ExitCode.OK and publish.resolve_served(bank.warehouse) == now


def test_a_reload_while_a_build_runs_fails_and_says_so(bank: Bank) -> None:
    """Issue 13.5: `crmwh ingest --reload` during a build reported loaded deliveries that the build then dropped."""
    version = _serve(bank)
    md5_before = _md5(version)
    with publish.build_lock(bank.warehouse, "build"):
        result = _cli(bank, "ingest", "--reload")
    assert result.exit_code == ExitCode.FAILED, result.output
    assert "another command is changing" in result.output and "crmwh build" in result.output
    assert "Traceback" not in result.output
    assert publish.resolve_served(bank.warehouse) == version and _md5(version) == md5_before
    assert (D2,) not in _loaded_dates(version, "core")


def test_validate_records_through_a_private_copy_and_reads_only_without_record(bank: Bank,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13.6: `crmwh validate` (recording by default) wrote into the served file."""
    from expectations import runner

    version = _serve(bank)
    md5_before = _md5(version)
    seen: list[tuple[Path, bool]] = []

    def fake_validation(path: Path, **kwargs: Any) -> Any:
        seen.append((Path(path), bool(kwargs.get("record", True))))

        class Report:
            passed = True

            @staticmethod
            def summary() -> str:
                return "validated"
        if kwargs.get("record", True):
            con = duckdb.connect(str(path))
            con.execute("CREATE TABLE IF NOT EXISTS audit.validated AS SELECT 1 AS x")
            con.close()
        return Report()

    monkeypatch.setattr(runner, "run_validation", fake_validation)
    with publish.build_lock(bank.warehouse, "build"):
        busy = CliRunner().invoke(cli, ["validate", "--warehouse", str(bank.warehouse), "--quiet"])
    assert busy.exit_code == ExitCode.FAILED and "another command is changing" in busy.output
    assert CliRunner().invoke(cli, ["validate", "--warehouse", str(bank.warehouse), "--quiet"]).exit_code == 0
    assert seen[-1] == (publish.work_path(bank.warehouse), True)
    assert _md5(version) == md5_before and publish.resolve_served(bank.warehouse) != version
    read_only = CliRunner().invoke(cli, ["validate", "--no-record", "--warehouse", str(bank.warehouse), "--quiet"])
    assert read_only.exit_code == 0
    assert seen[-1] == (publish.resolve_served(bank.warehouse), False)
