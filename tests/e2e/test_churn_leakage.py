"""No look-ahead: the churn features and the product holdings per family (the next-best-product features) of month
end T are the same whether the warehouse holds data up to T only or the whole horizon. A bank cut at T (its deliveries
up to T) is built once and compared with the shared bank built on all 150 days."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from crmwh.build import run_build
from crmwh.publish import resolve_served

from support import dbt_harness
from support.bank import GeneratedBank

pytestmark = pytest.mark.slow

CUT = "20250331"  # month end T: January to March are complete in both warehouses


def _cut_landing(landing: Path, target: Path) -> Path:
    for system in (p for p in landing.iterdir() if p.is_dir()):
        for day in system.iterdir():
            if day.name <= CUT:
                shutil.copytree(day, target / system.name / day.name)
    return target


def _features(db: Path, month: str) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select * from intermediate.int_churn_features_monthly where month_start = ? "
                           "order by party_id", [month]).fetchall()
    return {r[1]: r for r in rows}


@pytest.fixture(scope="module")
def cut_warehouse(tmp_path_factory: pytest.TempPathFactory, generated_bank: GeneratedBank) -> Path:
    """The bank of the deliveries up to T only, built."""
    folder = tmp_path_factory.mktemp("cut")
    landing = _cut_landing(generated_bank.landing, folder / "landing")
    served = folder / "served" / "crmwh.duckdb"
    with dbt_harness.in_process_builds():
        report = run_build(landing, served, validate=False, progress=False)
    assert report.published, report.summary()
    return resolve_served(served)


def test_features_at_t_never_read_data_after_t(cut_warehouse: Path, generated_bank: GeneratedBank) -> None:
    cut = _features(cut_warehouse, "2025-03-01")
    full = _features(generated_bank.warehouse, "2025-03-01")
    assert len(cut) > 500
    assert cut.keys() == full.keys()
    differ = [party for party in cut if cut[party] != full[party]]
    assert not differ, f"{len(differ)} customers' features at T differ, e.g. {cut[differ[0]]} vs {full[differ[0]]}"
    # and a later month exists only in the full warehouse: the cut one really stops at T
    assert not _features(cut_warehouse, "2025-04-01") and _features(generated_bank.warehouse, "2025-04-01")


def _holdings(db: Path, month: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select * from intermediate.int_product_family_holdings_monthly where month_start = ? "
                           "order by party_id, product_family_code", [month]).fetchall()


def test_product_holdings_at_t_never_read_data_after_t(cut_warehouse: Path, generated_bank: GeneratedBank) -> None:
    cut, full = _holdings(cut_warehouse, "2025-03-01"), _holdings(generated_bank.warehouse, "2025-03-01")
    assert len({r[1] for r in cut}) > 300 and {r[2] for r in cut} >= {"TERM_DEPOSIT", "CREDIT_CARD"}
    assert cut == full
    # the labels of T need the months after it: unknown in the cut bank, known (and some positive) in the full one
    with duckdb.connect(str(cut_warehouse), read_only=True) as con:
        known_cut = con.execute("select count(*) filter (where is_label_known), count(*) filter (where is_opener) "
                                "from intermediate.int_nbp_labels_monthly where month_start = '2025-03-01'").fetchone()
    assert known_cut == (0, 0)
