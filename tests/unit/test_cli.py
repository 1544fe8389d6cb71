"""One command-line face: options defined once with their environment variables, errors mapped to exit codes."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from contracts.errors import CrmwhError, ExitCode
from crmwh import cli as cli_mod
from crmwh.cli import cli


def test_every_command_is_a_crmwh_subcommand() -> None:
    expected = {"generate", "ingest", "build", "validate", "serve", "contracts", "assets", "docs", "quality-docs",
                "users", "status", "withdraw", "restore"}  # fmt: skip
    assert expected <= set(cli.commands)


@pytest.mark.parametrize("command", ["ingest", "build", "validate", "docs", "quality-docs", "serve", "users sync",
                                     "status", "withdraw", "restore"])
def test_warehouse_option_shows_its_environment_variable_and_default(command: str) -> None:
    result = CliRunner().invoke(cli, [*command.split(), "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--warehouse PATH" in text
    assert "env var: CRMWH_WAREHOUSE" in text and "default: (var/warehouse/crmwh.duckdb)" in text


def test_the_warehouse_comes_from_the_environment(tmp_path: Path) -> None:
    missing = tmp_path / "from-env.duckdb"
    result = CliRunner().invoke(cli, ["validate", "--quiet"], env={"CRMWH_WAREHOUSE": str(missing)})
    assert result.exit_code == ExitCode.FAILED
    assert str(missing) in result.output


def test_an_expected_error_is_one_line_and_exit_two(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ingest", "--landing", str(tmp_path / "nowhere"), "--warehouse",
                                      str(tmp_path / "wh.duckdb"), "--quiet"])
    assert result.exit_code == ExitCode.FAILED == 2
    assert result.output.startswith("ingest failed, the served warehouse is unchanged: ")
    assert "Traceback" not in result.output


def test_a_failed_build_says_the_served_warehouse_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    from crmwh import build

    def failing(*_args: object, **_kwargs: object) -> None:
        raise build.BuildError("dbt failed")

    monkeypatch.setattr(build, "run_build", failing)
    result = CliRunner().invoke(cli, ["build", "--quiet"])
    assert result.exit_code == 2
    assert result.output.strip() == "build failed, the served warehouse is unchanged: dbt failed"


def test_an_unexpected_error_is_exit_three_with_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from crmwh import build

    def buggy(*_args: object, **_kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(build, "run_build", buggy)
    result = CliRunner().invoke(cli, ["build", "--quiet"])
    assert result.exit_code == ExitCode.INTERNAL == 3
    assert "internal error" in result.output and "Traceback" in result.output and "KeyError" in result.output


def test_every_product_error_is_a_crmwh_error() -> None:
    from contracts.contract import ContractError
    from contracts.control import ControlFileError
    from crmwh.build import BuildError
    from crmwh.publish import PublishError
    from dashboards.branch_map import BranchMapError
    from dashboards.bundle import BundleError
    from dashboards.cubes import CubeError, UnknownName
    from dashboards.errors import SupersetSetupError
    from dashboards.serve import ServeError
    from dashboards.settings import SettingsError
    from expectations.config import QualityConfigError
    from expectations.data_docs import DataDocsError
    from ingest.audit import SchemaMismatchError
    from ingest.landing import IngestError
    from synth import GenerateError

    for kind in (ContractError, ControlFileError, BuildError, PublishError, CubeError, ServeError, SettingsError,
                 QualityConfigError, DataDocsError, SchemaMismatchError, IngestError, GenerateError,
                 cli_mod.OutOfDate, BranchMapError, BundleError, UnknownName, SupersetSetupError,
                 cli_mod.UsersSyncError):
        assert issubclass(kind, CrmwhError), kind


def test_contracts_check_fails_on_a_stale_spec(tmp_path: Path) -> None:
    stale = tmp_path / "extracts.md"
    stale.write_text("# old\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["contracts", "--check", str(stale)])
    assert result.exit_code == 2
    assert str(stale) in result.output and "crmwh contracts --write" in result.output


def test_usage_errors_are_exit_two() -> None:
    result = CliRunner().invoke(cli, ["ingest", "--no-such-option"])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit) or result.exception is None
    assert click.__name__  # click's own usage errors keep click's exit code 2 (nothing was done)


def test_users_sync_names_its_managers_variable_and_needs_supersets_virtualenv(tmp_path: Path) -> None:
    text = " ".join(CliRunner().invoke(cli, ["users", "sync", "--help"]).output.split())
    assert "--managers FILE" in text and "env var: CRMWH_BRANCH_MANAGERS" in text
    result = CliRunner().invoke(cli, ["users", "sync", "--warehouse", str(tmp_path / "wh.duckdb")],
                                env={"CRMWH_SUPERSET_VENV": str(tmp_path / "no-venv")})  # fmt: skip
    assert result.exit_code == ExitCode.FAILED
    assert result.output.startswith("users sync failed, Superset is unchanged: ")
    assert str(tmp_path / "no-venv" / "bin" / "python") in result.output and "Traceback" not in result.output


def test_files_the_command_line_creates_are_not_world_readable(tmp_path: Path) -> None:
    """Landing files (here from `crmwh generate`) and their folders: owner and group only (umask 027)."""
    landing = tmp_path / "landing"
    done = subprocess.run(
        [sys.executable, "-m", "crmwh.cli", "generate", "--scale", "0.0005", "--days", "1", "--landing",
         str(landing), "--quiet"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    modes = {p.relative_to(landing).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in landing.rglob("*")}
    assert len(modes) > 10
    assert {name: oct(mode) for name, mode in modes.items() if mode & 0o027} == {}


@pytest.mark.parametrize("command", [["build", "--no-validate"], ["ingest"],
                                     ["withdraw", "core", "20250131", "--reason", "test"], ["restore"]])
def test_a_read_only_warehouse_folder_is_exit_two_without_a_traceback(tmp_path: Path, command: list[str]) -> None:
    """Issue 13.17: `crmwh build` on a read-only warehouse folder died with a traceback (exit 3)."""
    import os
    import shutil

    folder, landing = tmp_path / "wh", tmp_path / "landing"
    folder.mkdir()
    landing.mkdir()
    folder.chmod(0o555)
    args = [sys.executable, "-m", "crmwh.cli", *command, "--landing", str(landing), "--warehouse",
            str(folder / "crmwh.duckdb"), "--quiet"]
    if command[0] in ("withdraw", "restore"):  # they do not read the landing area, and print no progress
        args = args[:-5] + args[-3:-1]
    if os.geteuid() == 0:  # root writes anywhere: drop the capability that lets it
        if not shutil.which("capsh"):
            pytest.skip("running as root without capsh")
        args = ["capsh", "--drop=cap_dac_override,cap_dac_read_search", "--", "-c",
                " ".join(f"'{a}'" for a in args)]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    finally:
        folder.chmod(0o755)
    assert done.returncode == ExitCode.FAILED, done.stderr
    assert "Traceback" not in done.stderr
    assert f"cannot write in the warehouse folder {folder}" in done.stderr
