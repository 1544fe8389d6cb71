"""Generator profiles (synth/profiles.py): the CLI offers exactly them, and a bank with days off delivers a day-off's
rows on the next business day, or at a month's end on its last business day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from contracts.business_calendar import load_calendar
from contracts.contract import load_contracts
from crmwh.cli import cli
from crmwh.options import GENERATOR_PROFILES
from synth import GenerateError
from synth.profiles import PROFILES, delivery_day_map, get_profile


def test_the_cli_offers_every_generator_profile() -> None:
    assert tuple(PROFILES) == GENERATOR_PROFILES


def test_an_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(GenerateError, match="no generator profile 'nope'"):
        get_profile("nope")


def test_the_euro_retail_bank_profile_has_no_cards() -> None:
    bank = get_profile("euro_retail").bank_profile()
    assert bank is not None and bank.reporting_currency == "CZK" and bank.system("cards") is None
    assert {bank.encoding_for(s, "gbk") for s in bank.systems} == {"utf-8"}


def test_days_off_go_to_the_next_business_day_or_back_to_the_months_last() -> None:
    contract = replace(load_contracts().get("core.transactions"), calendar=load_calendar("CZ"))
    dates = [date(2025, 5, 1) + timedelta(days=i) for i in range(38)]  # to Saturday 7 June
    where = delivery_day_map(contract, dates)
    assert where[date(2025, 5, 1)] == date(2025, 5, 2)  # Svátek práce → Friday
    assert where[date(2025, 5, 3)] == date(2025, 5, 5)  # Saturday → Monday
    assert where[date(2025, 5, 8)] == date(2025, 5, 9)  # Den vítězství
    assert where[date(2025, 5, 31)] == date(2025, 5, 30)  # Saturday after the month's last business day
    assert where[date(2025, 6, 7)] is None  # a Saturday after the horizon's last business day
    assert where[date(2025, 6, 6)] == date(2025, 6, 6)


def test_generate_euro_retail_writes_its_bank_profile_and_no_cards(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    result = CliRunner().invoke(cli, ["generate", "--profile", "euro_retail", "--scale", "0.005", "--start",
                                      "2025-05-01", "--days", "5", "--landing", str(landing), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "CRMWH_BANK_PROFILE=" in result.output
    assert (landing / "bank.yaml").read_bytes() == get_profile("euro_retail").bank_file.read_bytes()  # type: ignore
    assert sorted(p.name for p in landing.iterdir() if p.is_dir()) == ["accounting", "core", "ref"]
    # 1 May is a holiday, 3-4 May the weekend: deliveries on 2 and 5 May
    assert sorted(p.name for p in (landing / "core").iterdir()) == ["20250502", "20250505"]
    customers = (landing / "core" / "20250502" / "CUST_INFO_20250502.dat").read_text(encoding="utf-8")
    assert not customers.isascii()

