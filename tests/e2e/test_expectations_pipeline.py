"""Raw suites on what the real loader lands: clean deliveries pass; every expectation catches its break.

Uses the loader tests' small bank (tests/support/minibank.py: four systems, three business dates, GBK and
fixed-width files) loaded with ``ingest.loader.ingest_landing``, so the row-count check reads the loader's real
``audit.delivery_files``.
"""

from __future__ import annotations

import shutil
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from contracts.contract import ContractSet, load_contracts
from expectations import Severity, run_validation
from expectations.config import load_config
from expectations.runner import plan
from ingest.loader import ingest_landing

from support.quality_fixture import breaking_sql

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, minibank_landing: Path) -> Path:
    base = tmp_path_factory.mktemp("quality-e2e")
    landing = base / "landing"
    shutil.copytree(minibank_landing, landing)
    warehouse = base / "wh.duckdb"
    report = ingest_landing(landing, warehouse, progress=False)
    assert report.loaded and not report.rejected, report.summary()
    return warehouse


def test_what_the_loader_lands_passes_every_expectation(loaded: Path, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    shutil.copyfile(loaded, db)
    started = time.perf_counter()
    report = run_validation(db, stages=("raw",))
    seconds = time.perf_counter() - started
    print(f"\nraw validation of the mini bank: {len(report.outcomes)} expectations, {seconds:.1f}s")
    assert report.passed and not report.warnings, report.summary()
    con = duckdb.connect(str(db), read_only=True)
    try:
        loaded_ids = [r[0] for r in con.execute(
            "SELECT batch_id FROM audit.deliveries WHERE status = 'LOADED' ORDER BY 1").fetchall()]
        validated = [r[0] for r in con.execute(
            "SELECT batch_id FROM quality.validated_batches ORDER BY 1").fetchall()]
    finally:
        con.close()
    assert validated == loaded_ids == list(report.batch_ids)


SUITES = [f"raw.{c.raw_table}" for c in load_contracts().contracts]


@pytest.mark.parametrize("suite", SUITES)
def test_every_expectation_of_a_suite_fails_when_its_data_is_broken(
    suite: str, loaded: Path, tmp_path: Path, contracts: ContractSet
) -> None:
    """Each check is broken on purpose (checks of one kind together, each on its own row) and must be named."""
    cfg = load_config(contracts=contracts)
    checks = next(s for s in plan(loaded, ("raw",), None, cfg, contracts).suites if s.name == suite).checks
    by_kind: dict[str, list[str]] = defaultdict(list)
    for chk in checks:
        by_kind[chk.name.split(".")[2]].append(chk.name)
    severities = {c.name: c.severity for c in checks}
    missed: dict[str, list[str]] = {}
    for kind, names in sorted(by_kind.items()):
        db = tmp_path / f"{kind}.duckdb"
        shutil.copyfile(loaded, db)
        con = duckdb.connect(str(db))
        try:
            for slot, name in enumerate(names):
                for statement in breaking_sql(name, contracts, cfg, slot):
                    con.execute(statement)
        finally:
            con.close()
        report = run_validation(db, stages=("raw",), suites=[suite], record=False)
        not_caught = [n for n in names if n not in report.failed_names]
        if not_caught:
            missed[kind] = not_caught
        if any(severities[n] is Severity.CRITICAL for n in names):
            assert not report.passed, f"{kind}: critical breaks did not block: {report.summary()}"
        db.unlink()
    assert not missed, f"breaks not caught by their expectation: {missed}"
    assert sum(len(v) for v in by_kind.values()) == len(checks)
