"""Shared fixtures: the contract set; the small bank's landing area with a warehouse that already holds day one; the
generated bank and the dbt-built raw fixture the end-to-end tests share (built once per run, copied by each module)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts.contract import ContractSet, load_contracts
from ingest.loader import ingest_landing

from support import bank as generated
from support import dbt_harness, raw_fixture
from support.deliveries import Bank
from support.minibank import D1, D2, build_landing

# Under pytest-xdist (`make test` runs two workers), each worker gets dbt target and log folders of its own: two dbt
# processes writing one partial_parse.msgpack or dbt.log at once would corrupt them. Subprocesses inherit these.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if WORKER:
    os.environ.setdefault("DBT_TARGET_PATH", str(dbt_harness.DBT_DIR / "target" / f"pytest-{WORKER}"))
    os.environ.setdefault("DBT_LOG_PATH", str(dbt_harness.DBT_DIR / "logs" / f"pytest-{WORKER}"))

# The modules that take longest (with what they wait for: the shared generated bank, the dbt-built raw fixture, a
# Superset start), first: the workers take whole modules (--dist loadfile) in collection order, and a long one
# started last would keep one worker busy while the other has nothing left to do.
LONGEST_FIRST = (
    "e2e/test_dbt_generated_bank.py",
    "e2e/test_spark_parity.py",
    "e2e/test_marketing_models.py",
    "e2e/test_superset_rebuild.py",
    "e2e/test_superset_dashboards.py",
    "e2e/test_superset_reports.py",
    "e2e/test_superset_serving.py",
    "e2e/test_expectations_generated_bank.py",
    "e2e/test_superset_production.py",
    "e2e/test_dbt_fixture.py",
    "e2e/test_expectations_pipeline.py",
    "e2e/test_synth_portfolio.py",
    "e2e/test_dbt_daily_tests.py",
    "e2e/test_ingest_matches_manifest.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not WORKER:
        return  # one process: the quick tests first, as they are collected

    def rank(item: pytest.Item) -> int:
        path = item.path.as_posix()
        return next((i for i, name in enumerate(LONGEST_FIRST) if path.endswith(name)), len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: a module's tests stay together and in order


@pytest.fixture(scope="session")
def contracts() -> ContractSet:
    return load_contracts()


@pytest.fixture(scope="session")
def minibank_landing(tmp_path_factory: pytest.TempPathFactory, contracts: ContractSet) -> Path:
    """The pristine landing area of the small bank (three business dates). Never modify it: copy it."""
    return build_landing(tmp_path_factory.mktemp("minibank") / "landing", contracts)


@pytest.fixture(scope="session")
def day_one_warehouse(tmp_path_factory: pytest.TempPathFactory, minibank_landing: Path,
                      contracts: ContractSet) -> tuple[Path, Path]:
    """(landing holding only D1, warehouse with D1 of every system loaded)."""
    base = tmp_path_factory.mktemp("day-one")
    landing = base / "landing"
    for system_dir in minibank_landing.iterdir():
        if system_dir.is_dir():
            shutil.copytree(system_dir / f"{D1:%Y%m%d}", landing / system_dir.name / f"{D1:%Y%m%d}")
    warehouse = base / "wh.duckdb"
    report = ingest_landing(landing, warehouse, progress=False)
    assert len(report.loaded) == len(contracts.systems) and not report.rejected, report.summary()
    return landing, warehouse


@pytest.fixture
def bank(tmp_path: Path, contracts: ContractSet, minibank_landing: Path,
         day_one_warehouse: tuple[Path, Path]) -> Iterator[Bank]:
    """A private copy of the small bank: D1 loaded in the warehouse; D1 and D2 in the landing area (add D3 with
    ``bank.add_day(D3)``)."""
    landing_d1, warehouse = day_one_warehouse
    landing = tmp_path / "landing"
    shutil.copytree(landing_d1, landing)  # copy2 keeps mtimes: D1's fingerprint is unchanged
    wh = tmp_path / "wh.duckdb"
    shutil.copyfile(warehouse, wh)
    b = Bank(landing=landing, warehouse=wh, contracts=contracts, source_landing=minibank_landing)
    b.add_day(D2)
    yield b
    b.close()


@pytest.fixture(scope="session")
def generated_bank(tmp_path_factory: pytest.TempPathFactory) -> generated.GeneratedBank:
    """The generated bank (150 days, scale 0.01), ingested and built once per run. Read only: copy its files."""
    return generated.generated_bank(tmp_path_factory)


@pytest.fixture(scope="session")
def validated_bank(tmp_path_factory: pytest.TempPathFactory,
                   generated_bank: generated.GeneratedBank) -> generated.ValidatedBank:
    """The generated bank's warehouse after a validation run (raw and marts), and that run's report. Read only."""
    return generated.validated_bank(tmp_path_factory, generated_bank)


@pytest.fixture(scope="session")
def built_raw_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made raw fixture (support/raw_fixture.py) after a full ``dbt build``. Read only: copy it."""

    def build(folder: Path) -> None:
        db = folder / "fixture.duckdb"
        raw_fixture.load_fixture(db)
        dbt_harness.run_dbt(db, ["build"])

    return generated.built_once(tmp_path_factory, "raw-fixture-built", build) / "fixture.duckdb"
