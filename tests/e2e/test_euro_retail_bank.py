"""The generator's second profile (``--profile euro_retail``): a Czech retail bank reporting in CZK, without a card
system, closed at weekends and on Czech holidays, with Latin names in UTF-8 files. Its deliveries build and publish
through `crmwh build` with the bank profile the generator wrote beside them."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import duckdb
import pytest

from contracts.business_calendar import ENV_PROFILE, load_calendar
from crmwh.build import BuildReport, run_build
from synth.bank import generate_bank

pytestmark = pytest.mark.slow

START = date(2025, 5, 1)  # 1 May and 8 May are Czech holidays; 31 May is a Saturday
DAYS = 61


@pytest.fixture(scope="module")
def euro_bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, BuildReport]:
    root = tmp_path_factory.mktemp("euro-retail")
    landing, warehouse = root / "landing", root / "warehouse" / "crmwh.duckdb"
    warehouse.parent.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        generate_bank(scale=0.01, start=START, days=DAYS, seed=7, out=landing, progress=False,
                      profile="euro_retail")
        mp.setenv(ENV_PROFILE, str(landing / "bank.yaml"))
        report = run_build(landing, warehouse, progress=False, models=root / "models")
    return landing, warehouse, report


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_it_publishes_with_no_critical_failure(euro_bank: tuple[Path, Path, BuildReport]) -> None:
    _landing, _db, report = euro_bank
    assert report.published, report.summary()
    assert report.rejected_deliveries == 0
    assert any("0 critical failures" in m for m in report.messages), report.messages


def test_deliveries_come_on_business_days_only(euro_bank: tuple[Path, Path, BuildReport]) -> None:
    landing, _db, _report = euro_bank
    cz = load_calendar("CZ")
    horizon = [START + timedelta(days=i) for i in range(DAYS)]
    business = {d for d in horizon if cz.is_business_day(d)}
    for system in ("ref", "core", "accounting"):
        delivered = {date(int(p.name[:4]), int(p.name[4:6]), int(p.name[6:])) for p in (landing / system).iterdir()}
        assert delivered == business, system
    assert date(2025, 5, 1) not in business and date(2025, 5, 8) not in business
    # month-end extracts on the last business day: Friday 30 May (31 May is a Saturday), Monday 30 June
    accruals = sorted(p.parent.name for p in landing.glob("core/*/INT_ACCR_*.dat"))
    assert accruals == ["20250530", "20250630"]


def test_the_bank_has_no_cards(euro_bank: tuple[Path, Path, BuildReport]) -> None:
    landing, db, _report = euro_bank
    assert not (landing / "cards").exists()
    for table in ("cards__cards", "cards__card_transactions", "cards__card_statements"):
        assert _rows(db, f"SELECT count(*) FROM raw.{table}") == [(0,)], table


def test_names_with_diacritics_round_trip(euro_bank: tuple[Path, Path, BuildReport]) -> None:
    landing, db, _report = euro_bank
    first = sorted(landing.glob("core/*/CUST_INFO_*.dat"))[0]
    sent = {line.split("|")[2] for line in first.read_text(encoding="utf-8").splitlines()}
    with_diacritics = {n for n in sent if not n.isascii()}
    assert with_diacritics, "the generator wrote no name with diacritics"
    loaded = {r[0] for r in _rows(db, "SELECT customer_name FROM restricted_pii.pii_core__customers")}
    assert with_diacritics <= loaded
    assert ("České Budějovice",) in _rows(db, "SELECT DISTINCT city FROM marts.dim_branch")


def test_the_reporting_currency_is_czk(euro_bank: tuple[Path, Path, BuildReport]) -> None:
    _landing, db, _report = euro_bank
    quoted = _rows(db, "SELECT DISTINCT currency_code, cny_per_unit FROM staging.stg_ref__exchange_rates "
                       "WHERE currency_code = 'CZK'")
    assert [(c, str(r)) for c, r in quoted] == [("CZK", "1.000000")]
    assert _rows(db, "SELECT count(*) FROM staging.stg_ref__exchange_rates WHERE currency_code = 'CNY'") == [(0,)]


def test_joint_holders_and_authorised_users_are_delivered(euro_bank: tuple[Path, Path, BuildReport]) -> None:
    _landing, db, _report = euro_bank
    roles = {r[0] for r in _rows(db, "SELECT DISTINCT party_role FROM raw.core__account_parties")}
    assert {"01", "02", "03"} <= roles


def test_reference_data_comes_only_on_change_and_keeps_its_history(
    euro_bank: tuple[Path, Path, BuildReport],
) -> None:
    landing, db, _report = euro_bank
    first = "20250502"  # the first business day: the initial delivery holds every reference extract
    for pattern in ("ref/*/BRANCH_*", "ref/*/PRODUCT_*", "accounting/*/GL_COA_*"):
        sent = sorted({p.parent.name for p in landing.glob(pattern) if p.suffix != ".flg"})
        assert sent[0] == first and len(sent) < 5, (pattern, sent)
    rm_files = sorted((p for p in landing.glob("ref/*/RM_*") if p.suffix != ".flg"), key=lambda p: p.parent.name)
    contents = [p.read_bytes().split(b"\n", 1)[1] for p in rm_files]  # without the header
    assert all(before != after for before, after in pairwise(contents)), "an RM file that did not change"
    # every RM is still there on the days without the file (nothing was closed for its absence)
    (rms,) = _rows(db, "SELECT count(DISTINCT rm_id) FROM raw.ref__relationship_managers")[0]
    assert _rows(db, "SELECT count(*) FROM snapshots.snap_ref__relationship_managers WHERE is_current") == [(rms,)]


def test_overdrafts_are_a_warning_and_balances_stay_continuous(euro_bank: tuple[Path, Path, BuildReport]) -> None:
    _landing, db, report = euro_bank
    (overdrawn,) = _rows(db, "SELECT count(DISTINCT account_no) FROM raw.core__balances WHERE balance < 0")[0]
    assert overdrawn > 0
    assert any("overdrafts" in m for m in report.messages), report.messages
    assert _rows(db, "SELECT count(*) FROM marts.rpt_balance_continuity_breaks") == [(0,)]


def test_fields_the_bank_cannot_send_load_empty(euro_bank: tuple[Path, Path, BuildReport]) -> None:
    _landing, db, _report = euro_bank
    assert _rows(db, "SELECT count(*), count(txn_time) FROM raw.core__transactions")[0][1] == 0
    (loans, with_pd, with_lgd) = _rows(db, "SELECT count(*), count(pd), count(lgd) FROM raw.core__loans")[0]
    assert loans > 0 and with_pd == with_lgd == 0

