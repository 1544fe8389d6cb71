"""The data-quality config: derived from the contracts, refused with a clear reason when it names what is not there."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from contracts.contract import load_contracts
from expectations.config import CONFIG_FILE, QualityConfigError, load_config
from expectations.model import Severity
from expectations.raw_suites import build_raw_suites

CONTRACTS = load_contracts()


def test_every_contract_rule_becomes_an_expectation() -> None:
    cfg = load_config(contracts=CONTRACTS)
    suites = build_raw_suites(CONTRACTS, cfg, {system: [1] for system in CONTRACTS.systems})
    names = {c.name for s in suites for c in s.checks}
    for contract in CONTRACTS.contracts:
        prefix = f"raw.{contract.raw_table}"
        assert f"{prefix}.row_count_matches_control" in names
        assert f"{prefix}.unique_key" in names
        for col in contract.columns:
            assert (f"{prefix}.not_null.{col.name}" in names) is (not col.nullable), col.name
            if col.codes:
                assert f"{prefix}.codes.{col.name}" in names
            if col.type == "date":
                assert f"{prefix}.date.{col.name}" in names
        for fk in contract.foreign_keys:
            assert f"{prefix}.fk.{'+'.join(fk.columns)}" in names
    assert "raw.cards__cards.codes.id_type" in names  # no list in its contract: borrowed from core.customers


def test_amounts_are_exact_decimals() -> None:
    cfg = load_config(contracts=CONTRACTS)
    ranges = cfg.raw.ranges["core.transactions"]["amount"]
    assert ranges[Severity.CRITICAL].min == Decimal("0")  # the direction is in dr_cr_flag: negative is impossible
    assert ranges[Severity.WARNING].min == Decimal("0.01") and isinstance(ranges[Severity.WARNING].min, Decimal)
    assert cfg.marts.amount_tolerance == Decimal("0.01")
    assert cfg.marts.operating_expense_prefixes == ("6601",)
    assert cfg.marts.code_lists[("dim_customer", "aum_tier_code")] == ("MASS", "PRIVATE", "VIP", "WEALTH")


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("      interest_rate: {critical: {min: \"0\", max: \"1\"}, warning: {max: \"0.24\"}}",
         "      interest_rat: {critical: {min: \"0\"}}", "has no column 'interest_rat'"),
        ("      pd: {critical: {min: \"0\", max: \"1\"}}", "      pd: {critical: {min: 0.0, max: 1.0}}",
         "quoted decimal string"),
        ("    core.balances: [balance_date]", "    core.balance: [balance_date]", "no extract contract 'core.balance'"),
        ("  date_order_severity: warning", "  date_order_severity: fatal", "severity 'fatal'"),
        ("  non_negative_balance_product_lines: [LOAN, WEALTH]",
         "  non_negative_balance_product_lines: [LOAN, MORTGAGE]", "not product lines"),
        ("  non_negative_balance_product_lines: [LOAN, WEALTH]",
         "  non_negative_balance_product_lines: [DEPOSIT, LOAN, WEALTH]", "either impossible"),
        ("column: value_tier_code}", "column: tier}", "has no column 'tier'"),
    ],
)
def test_a_wrong_config_is_refused_naming_file_and_entry(old: str, new: str, reason: str, tmp_path: Path) -> None:
    text = CONFIG_FILE.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "config.yaml"
    bad.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(QualityConfigError, match=reason) as err:
        load_config(bad, CONTRACTS)
    assert str(bad) in str(err.value)
