"""Shared fixtures: the contract set; the small bank's landing area with a warehouse that already holds day one; the
generated bank and the dbt-built raw fixture the end-to-end tests share (built once per run, copied by each module)."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def contracts() -> ContractSet:
    return load_contracts()


@pytest.fixture(scope="session")
def minibank_landing(tmp_path_factory: pytest.TempPathFactory, contracts: ContractSet) -> Path:
    """The pristine landing area of the small bank (three business dates). Never modify it: copy it."""
    return build_landing(tmp_path_factory.mktemp("minibank") / "landing", contracts)


@pytest.fixture(scope="session")
def day_one_warehouse(tmp_path_factory: pytest.TempPathFactory, minibank_landing: Path) -> tuple[Path, Path]:
    """(landing holding only D1, warehouse with D1 of every system loaded)."""
    base = tmp_path_factory.mktemp("day-one")
    landing = base / "landing"
    for system_dir in minibank_landing.iterdir():
        if system_dir.is_dir():
            shutil.copytree(system_dir / f"{D1:%Y%m%d}", landing / system_dir.name / f"{D1:%Y%m%d}")
    warehouse = base / "wh.duckdb"
    report = ingest_landing(landing, warehouse, progress=False)
    assert len(report.loaded) == 4 and not report.rejected, report.summary()
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
def validated_bank_warehouse(tmp_path_factory: pytest.TempPathFactory,
                             generated_bank: generated.GeneratedBank) -> Path:
    """The generated bank's warehouse after the validation gate passed. Read only: copy it."""
    return generated.validated_warehouse(tmp_path_factory, generated_bank)


@pytest.fixture(scope="session")
def built_raw_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made raw fixture (support/raw_fixture.py) after a full ``dbt build``. Read only: copy it."""

    def build(folder: Path) -> None:
        db = folder / "fixture.duckdb"
        raw_fixture.load_fixture(db)
        dbt_harness.run_dbt(db, ["build"])

    return generated.built_once(tmp_path_factory, "raw-fixture-built", build) / "fixture.duckdb"
