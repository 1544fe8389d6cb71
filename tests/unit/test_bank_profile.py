"""The bank profile (contracts/bank.yaml) and the business-day calendars it names (contracts/calendars/)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from contracts.business_calendar import (
    CALENDARS_DIR,
    ENV_PROFILE,
    CalendarError,
    is_business_day,
    load_calendar,
    nth_business_day,
    parse_calendar,
)
from contracts.contract import CONTRACTS_DIR, load_contracts
from contracts.profile import ProfileError, load_profile, parse_profile


def _write_profile(tmp_path: Path, edit: dict) -> Path:
    doc = yaml.safe_load((CONTRACTS_DIR / "bank.yaml").read_text(encoding="utf-8"))
    doc.update(edit)
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


# ---- calendars ------------------------------------------------------------------------------------------------------

def test_cn_holidays_and_make_up_workdays() -> None:
    cn = load_calendar("CN")
    assert not cn.is_business_day(date(2025, 1, 28))  # 春节 (除夕), a Tuesday
    assert not cn.is_business_day(date(2025, 10, 8))  # 国庆节、中秋节, a Wednesday
    assert cn.is_business_day(date(2025, 1, 26))  # a Sunday worked for 春节 (调休)
    assert cn.is_business_day(date(2026, 2, 28))  # a Saturday worked for 春节 2026
    assert not cn.is_business_day(date(2026, 2, 23))  # 春节 2026, a Monday
    assert not cn.is_business_day(date(2024, 6, 15))  # an ordinary Saturday
    assert cn.is_business_day(date(2024, 6, 11))  # an ordinary Tuesday


def test_nth_business_day_counts_over_holidays_and_make_up_days() -> None:
    cn = load_calendar("CN")
    # February 2025: 1-4 off (春节), the 5th is the first business day; the 8th (Saturday) is worked
    assert cn.nth_business_day(2025, 2, 1) == date(2025, 2, 5)
    assert cn.nth_business_day(2025, 2, 4) == date(2025, 2, 8)
    # September 2025 ends on a Tuesday; October 2025 ends on a Friday but the 1st-8th are off
    assert cn.last_business_day(2025, 9) == date(2025, 9, 30)
    assert cn.nth_business_day(2025, 10, 1) == date(2025, 10, 9)
    # the last business day of a month ending on a weekend is the Friday before
    assert load_calendar("WEEKDAYS").last_business_day(2025, 8) == date(2025, 8, 29)
    with pytest.raises(CalendarError, match="has 23 business days, no business day number 24"):
        load_calendar("WEEKDAYS").nth_business_day(2025, 12, 24)


def test_module_functions_use_the_profiles_calendar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_business_day(date(2025, 6, 7))  # the demo bank: every day
    assert nth_business_day(2025, 6, -1) == date(2025, 6, 30)
    monkeypatch.setenv(ENV_PROFILE, str(_write_profile(tmp_path, {"calendar": "CN"})))
    assert not is_business_day(date(2025, 6, 7))
    assert nth_business_day(2025, 5, 1) == date(2025, 5, 6)
    assert is_business_day(date(2025, 6, 7), calendar="ALL_DAYS")


def test_a_day_both_holiday_and_workday_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "XX.yaml"
    path.write_text("name: XX\nweekend: [sat, sun]\nholidays: [{from: 2025-01-01, to: 2025-01-02}]\n"
                    "workdays: [{date: 2025-01-02}]\n", encoding="utf-8")
    with pytest.raises(CalendarError, match="2025-01-02 is both a holiday and a make-up workday"):
        parse_calendar(path)


def test_every_shipped_calendar_parses() -> None:
    for path in sorted(CALENDARS_DIR.glob("*.yaml")):
        assert parse_calendar(path).name == path.stem


# ---- the profile ----------------------------------------------------------------------------------------------------

def test_demo_profile_is_todays_behaviour() -> None:
    profile = load_profile()
    assert profile.reporting_currency == "CNY"
    contracts = load_contracts()
    assert {c.format.encoding for c in contracts.contracts if c.system in ("core", "accounting")} == {"gbk"}
    assert {c.format.encoding for c in contracts.contracts if c.system in ("ref", "cards")} == {"utf-8"}
    assert all(c.delivered and not c.on_change and c.calendar.every_day for c in contracts.contracts)
    accruals = contracts.get("core.interest_accruals")
    assert accruals.delivered_on(date(2025, 5, 31)) and not accruals.delivered_on(date(2025, 5, 30))


def test_chinese_files_default_to_gb18030(tmp_path: Path) -> None:
    path = _write_profile(tmp_path, {"systems": {"ref": {}, "core": {}, "cards": {"encoding": "utf-8"},
                                                 "accounting": {"encoding": "gbk"}}})
    contracts = load_contracts(profile=parse_profile(path))
    assert contracts.get("core.customers").format.encoding == "gb18030"
    assert contracts.get("core.customers").format.python_encoding == "gb18030"
    assert contracts.get("ref.branches").format.encoding == "utf-8"
    assert contracts.get("accounting.ledger_entries").format.encoding == "gbk"


def test_a_bank_without_cards_and_with_weekends_off(tmp_path: Path) -> None:
    path = _write_profile(tmp_path, {
        "calendar": "WEEKDAYS",
        "systems": {"ref": {"on_change": ["branches", "products"]}, "core": {"encoding": "utf-8"},
                    "accounting": {"calendar": "CN"}}})
    contracts = load_contracts(profile=parse_profile(path))
    assert not contracts.bank_has("cards") and contracts.bank_has("core")
    assert not any(c.delivered_on(date(2025, 6, 30)) for c in contracts.for_system("cards"))
    assert contracts.get("ref.branches").on_change and not contracts.get("ref.exchange_rates").on_change
    saturday, monday = date(2025, 6, 7), date(2025, 6, 9)
    assert not contracts.expects_delivery("core", saturday) and contracts.expects_delivery("core", monday)
    assert not contracts.expects_delivery("cards", monday)
    # month-end extracts come on the last business day: 2025-05-31 is a Saturday
    accruals = contracts.get("core.interest_accruals")
    assert accruals.delivered_on(date(2025, 5, 30)) and not accruals.delivered_on(date(2025, 5, 31))
    # the accounting system keeps the Chinese calendar: 2025-09-28, a Sunday, is worked
    assert contracts.expects_delivery("accounting", date(2025, 9, 28))
    assert not contracts.expects_delivery("core", date(2025, 9, 28))


def test_profile_extends_code_lists(tmp_path: Path) -> None:
    path = _write_profile(tmp_path, {"codes": {"core.transactions.channel": {"99": "未知 unknown"}}})
    contracts = load_contracts(profile=parse_profile(path))
    codes = contracts.get("core.transactions").column("channel").codes
    assert codes["99"] == "未知 unknown"
    assert set(load_contracts().get("core.transactions").column("channel").codes) < set(codes)


@pytest.mark.parametrize(("edit", "message"), [
    ({"reporting_currency": "yuan"}, "reporting_currency must be an ISO 4217 code"),
    ({"calendar": "MARS"}, "no business-day calendar 'MARS'"),
    ({"systems": {"treasury": {}}}, "systems.treasury: no such source system"),
    ({"systems": {"core": {"encoding": "latin-1"}}}, "encoding must be one of"),
    ({"systems": {"ref": {"on_change": ["branchs"]}}}, "no extract 'branchs' in contracts/ref/"),
    ({"systems": {"core": {"on_change": ["interest_accruals"]}}}, "interest_accruals must be a daily extract"),
    ({"systems": {"core": {}}}, "core.accounts is delivered but refers to ref.products, which is not"),
    ({"codes": {"core.transactions.amount": {"X": "x"}}}, "the column has no code list to extend"),
    ({"colour": "red"}, "unknown key(s) ['colour']"),
])
def test_profile_mistakes_are_named(tmp_path: Path, edit: dict, message: str) -> None:
    path = _write_profile(tmp_path, edit)
    with pytest.raises(ProfileError) as err:
        load_contracts(profile=parse_profile(path))
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_optional_fields_need_an_if_missing_rule(tmp_path: Path) -> None:
    path = _write_profile(tmp_path, {"optional_fields": ["core.transactions.amount"]})
    with pytest.raises(ProfileError, match="no if_missing"):
        load_contracts(profile=parse_profile(path))
    path = _write_profile(tmp_path, {"optional_fields": ["core.transactions.channel", "core.loans.pd"]})
    contracts = load_contracts(profile=parse_profile(path))
    channel = contracts.get("core.transactions").column("channel")
    assert (channel.fill, channel.nullable, channel.codes["UNK"]) == ("UNK", False, "未知 unknown")
    pd = contracts.get("core.loans").column("pd")
    assert (pd.fill, pd.nullable) == (None, True)
    assert "UNK" not in load_contracts().get("core.transactions").column("channel").codes  # the demo bank sends it
