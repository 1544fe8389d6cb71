"""The generated bank the end-to-end tests share: generated, ingested, built and validated once per test run.

Generating a bank is quick; ingesting it and a full ``dbt build`` are not, and they cost about the same for a bank of
four days as for one of five months (dbt's fixed cost per node dominates). So one bank is built, through the
production steps (``crmwh generate``, then ``crmwh.build.run_build``: ingest, full dbt build recorded in
``audit.dbt_builds``, publish), and every module that needs one copies its files (a copy takes milliseconds).

Under pytest-xdist the workers share it: the first worker that asks builds it under a file lock, the others wait and
reuse it (see :func:`built_once`).

The horizon is 150 days from 2025-01-01: churners are chosen among customers seen for 120 days, so a shorter horizon
has none; five month ends give the monthly marts several complete months.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from expectations import ValidationReport

SCALE = 0.01
DAYS = 150
START = "2025-01-01"
SEED = 20260101


@dataclass(frozen=True)
class GeneratedBank:
    """The shared bank's files. Never write to them: copy them (:meth:`copy_warehouse`, :meth:`copy_landing`)."""

    landing: Path  # every delivery of the horizon, and the generator's _manifest.json
    warehouse: Path  # ingested and built (full dbt build, recorded), not validated

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.landing / "_manifest.json").read_text(encoding="utf-8"))

    def copy_warehouse(self, target: Path) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.warehouse, target)
        return target

    def copy_landing(self, target: Path) -> Path:
        shutil.copytree(self.landing, target)  # copy2 keeps mtimes: the loader sees the same deliveries
        return target


def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every pytest-xdist worker of this run sees (the run's base temp folder without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``<shared>/<name>`` filled by ``build(folder)`` once per test run, whichever worker asks first.

    A build that failed leaves no mark: the next worker to ask tries again (and fails with its own error).
    """
    root = shared_dir(tmp_path_factory)
    folder, done = root / name, root / f"{name}.done"
    with _locked(root / f"{name}.lock"):
        if not done.exists():
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


def crmwh(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``crmwh`` CLI of this virtualenv; raise with its output when it fails."""
    done = subprocess.run([sys.executable, "-m", "crmwh.cli", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"crmwh {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}"
                             f"\n{done.stderr[-3000:]}")
    return done


def _build(folder: Path) -> None:
    from crmwh.build import run_build
    from crmwh.publish import resolve_served

    landing = folder / "landing"
    crmwh("generate", "--scale", str(SCALE), "--days", str(DAYS), "--start", START, "--seed", str(SEED),
          "--landing", str(landing), "--quiet")
    served = folder / "served" / "crmwh.duckdb"
    report = run_build(landing, served, validate=False, progress=False)
    assert report.published and not report.rejected_deliveries, report.summary()
    shutil.copyfile(resolve_served(served), folder / "warehouse.duckdb")
    shutil.rmtree(folder / "served")


def generated_bank(tmp_path_factory: pytest.TempPathFactory) -> GeneratedBank:
    folder = built_once(tmp_path_factory, "generated-bank", _build)
    return GeneratedBank(folder / "landing", folder / "warehouse.duckdb")


@dataclass(frozen=True)
class ValidatedBank:
    """The bank's warehouse after the validation gate (raw and marts stages) passed: quality.* holds the results."""

    warehouse: Path  # read only: copy it
    report: ValidationReport  # what run_validation returned


def validated_bank(tmp_path_factory: pytest.TempPathFactory, bank: GeneratedBank) -> ValidatedBank:
    def validate(folder: Path) -> None:
        from expectations import run_validation

        report = run_validation(bank.copy_warehouse(folder / "warehouse.duckdb"))
        (folder / "report.pickle").write_bytes(pickle.dumps(report))  # for the other pytest-xdist workers

    folder = built_once(tmp_path_factory, "generated-bank-validated", validate)
    return ValidatedBank(folder / "warehouse.duckdb", pickle.loads((folder / "report.pickle").read_bytes()))
