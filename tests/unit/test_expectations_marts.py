"""Marts suites on a small hand-made published warehouse: clean passes, each critical rule broken on purpose fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from expectations import Severity, run_validation
from expectations.config import CONFIG_FILE

from support.quality_fixture import build_marts_fixture

FCT = "marts.fct_contribution_monthly"
ONE_ROW = "account_id = 'A1' AND month_start = DATE '2025-02-01'"


@pytest.fixture(scope="module")
def clean_marts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # not "marts.duckdb": DuckDB names the catalog after the file, and "marts.x" would become ambiguous
    path = tmp_path_factory.mktemp("marts") / "published.duckdb"
    build_marts_fixture(path)
    return path


def _broken(clean: Path, tmp_path: Path, *sql: str) -> Path:
    target = tmp_path / "broken.duckdb"
    shutil.copyfile(clean, target)
    con = duckdb.connect(str(target))
    try:
        for statement in sql:
            con.execute(statement)
    finally:
        con.close()
    return target


def test_clean_marts_pass_without_warnings(clean_marts: Path) -> None:
    report = run_validation(clean_marts, stages=("marts",), record=False)
    assert report.passed and not report.warnings, report.summary()
    suites = {o.suite for o in report.outcomes}
    assert {f"marts.{t}" for t in ("fct_contribution_monthly", "fct_branch_costs_monthly", "dim_customer",
                                   "fct_profit_bridge_monthly",
                                   "fct_account_balances_monthly", "rpt_customer_value", "monthly_totals",
                                   "rpt_balance_continuity_breaks")} == suites


BREAKS = {
    f"{FCT}.identity.net_interest_contribution": [
        f"UPDATE {FCT} SET net_interest_contribution = net_interest_contribution + 0.02 WHERE {ONE_ROW}"],
    f"{FCT}.identity.net_contribution": [f"UPDATE {FCT} SET net_contribution = net_contribution - 1 WHERE {ONE_ROW}"],
    f"{FCT}.identity.economic_profit": [f"UPDATE {FCT} SET economic_profit = economic_profit + 5 WHERE {ONE_ROW}"],
    f"{FCT}.allocated_cost_equals_gl": [
        f"UPDATE {FCT} SET allocated_operating_cost = allocated_operating_cost + 0.02 WHERE {ONE_ROW}"],
    f"{FCT}.non_negative.expected_loss": [f"UPDATE {FCT} SET expected_loss = -1 WHERE {ONE_ROW}"],
    f"{FCT}.unique_key": [f"INSERT INTO {FCT} SELECT * FROM {FCT} WHERE {ONE_ROW}"],
    f"{FCT}.not_null.branch_code": [f"UPDATE {FCT} SET branch_code = NULL WHERE {ONE_ROW}"],
    f"{FCT}.in_dim_branch.branch_code": [f"UPDATE {FCT} SET branch_code = 'B9' WHERE {ONE_ROW}"],
    f"{FCT}.not_empty": [f"DELETE FROM {FCT}"],
    f"{FCT}.columns_present": [f"ALTER TABLE {FCT} RENAME COLUMN fee_income TO fees"],
    "marts.fct_branch_costs_monthly.allocation_complete": [
        "UPDATE marts.fct_branch_costs_monthly SET allocated_amount = allocated_amount - 0.02 "
        "WHERE cost_centre_code = 'CC2' AND month_start = DATE '2025-03-01'"],
    "marts.fct_branch_costs_monthly.gl_expense_equals_ledger": [
        "UPDATE raw.accounting__ledger_entries SET amount = amount + 0.05 WHERE entry_id = 'E20'"],
    "marts.fct_branch_costs_monthly.exists": ["DROP TABLE marts.fct_branch_costs_monthly"],
    # the bridge must close on the ledger, a cent off is a break; its customer lines are the fact's contribution
    "marts.fct_profit_bridge_monthly.closes_to_gl": [
        "UPDATE marts.fct_profit_bridge_monthly SET amount = amount + 0.02 "
        "WHERE line_code = 'FTP_CENTRE_MISMATCH' AND month_start = DATE '2025-02-01'"],
    "marts.fct_profit_bridge_monthly.customer_lines_equal_contribution": [
        f"UPDATE {FCT} SET net_contribution = net_contribution + 5, economic_profit = economic_profit + 5, "
        f"allocated_operating_cost = allocated_operating_cost - 5 WHERE {ONE_ROW}"],
    "marts.dim_customer.codes.segment_code": [
        "UPDATE marts.dim_customer SET segment_code = 'VIP' WHERE party_id = 'C3'"],
    "marts.dim_customer.codes.aum_tier_code": ["UPDATE marts.dim_customer SET aum_tier_code = 'GOLD' WHERE is_current"],
    "marts.dim_customer.one_current_version": ["UPDATE marts.dim_customer SET is_current = true"],
    "marts.dim_customer.valid_range": [
        "UPDATE marts.dim_customer SET valid_to = valid_from WHERE customer_key = 'K1a'"],
    "marts.dim_customer.has_branch": ["UPDATE marts.dim_customer SET home_branch_code = NULL WHERE party_id = 'C3'"],
    "marts.dim_customer.has_rm": ["UPDATE marts.dim_customer SET rm_id = NULL WHERE segment_code = 'CORPORATE'"],
    "marts.dim_customer.rm_known": ["UPDATE marts.dim_customer SET rm_id = 'R404' WHERE party_id = 'C2'"],
    "marts.fct_account_balances_monthly.non_negative_balance": [
        "UPDATE marts.fct_account_balances_monthly SET month_end_balance = -0.01 WHERE account_id = 'A1'"],
    "marts.rpt_customer_value.codes.value_tier_code": [
        "UPDATE marts.rpt_customer_value SET value_tier_code = 'PLATINUM' WHERE party_id = 'C1'"],
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_breaking_a_critical_marts_rule_fails_validation(name: str, clean_marts: Path, tmp_path: Path) -> None:
    db = _broken(clean_marts, tmp_path, *BREAKS[name])
    report = run_validation(db, stages=("marts",), suites=[".".join(name.split(".")[:2])], record=False)
    assert not report.passed
    failed = {o.name: o for o in report.outcomes if not o.success}
    assert name in failed, report.summary()
    assert failed[name].severity is Severity.CRITICAL
    assert name in report.summary()


def test_a_jump_in_a_key_total_only_warns(clean_marts: Path, tmp_path: Path) -> None:
    db = _broken(clean_marts, tmp_path, f"UPDATE {FCT} SET average_daily_balance_cny = average_daily_balance_cny * 2 "
                                        "WHERE product_line_code = 'LOAN' AND month_start = DATE '2025-03-01'")
    report = run_validation(db, stages=("marts",), record=False)
    assert report.passed, report.summary()
    assert report.warnings == ["marts.monthly_totals.month_over_month.loans (1 unexpected rows)"]


def test_an_overdrawn_deposit_only_warns_with_its_count(clean_marts: Path, tmp_path: Path) -> None:
    # a negative deposit balance is an overdraft (an asset of the bank), not a broken warehouse: it publishes, and the
    # warning counts the overdrawn account-months
    db = _broken(clean_marts, tmp_path, "UPDATE marts.fct_account_balances_monthly SET month_end_balance = -250.00, "
                                        "average_daily_balance = -40.00 WHERE account_id = 'A2'")
    months = _scalar(db, "SELECT count(*) FROM marts.fct_account_balances_monthly WHERE account_id = 'A2'")
    report = run_validation(db, stages=("marts",), record=False)
    assert report.passed, report.summary()
    assert report.warnings == [f"marts.fct_account_balances_monthly.overdrafts ({months} unexpected rows)"]


BREAK = ("INSERT INTO marts.rpt_balance_continuity_breaks VALUES (DATE '2025-02-01', 'A2', 'core', DATE '2025-02-11', "
         "1000.00, -300.00, 700.00, 750.00, 50.00)")


def test_a_balance_continuity_break_warns_with_its_count(clean_marts: Path, tmp_path: Path) -> None:
    db = _broken(clean_marts, tmp_path, BREAK)
    report = run_validation(db, stages=("marts",), record=False)
    assert report.passed, report.summary()
    assert report.warnings == ["marts.rpt_balance_continuity_breaks.no_breaks (1 unexpected rows)"]


def test_a_balance_continuity_break_blocks_when_configured_critical(clean_marts: Path, tmp_path: Path) -> None:
    db = _broken(clean_marts, tmp_path, BREAK)
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG_FILE.read_text(encoding="utf-8").replace(
        "balance_continuity_severity: warning", "balance_continuity_severity: critical"), encoding="utf-8")
    report = run_validation(db, stages=("marts",), record=False, config_path=config)
    assert not report.passed
    assert report.critical_failures == ["marts.rpt_balance_continuity_breaks.no_breaks (1 unexpected rows)"]


def _scalar(db: Path, sql: str) -> object:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(sql).fetchone()
    finally:
        con.close()
    assert row is not None
    return row[0]


def test_within_a_cent_the_identities_hold(clean_marts: Path, tmp_path: Path) -> None:
    # rounding each step to the cent may leave the subtotal a cent off: that is tolerated, two cents are not
    db = _broken(clean_marts, tmp_path, f"UPDATE {FCT} SET economic_profit = economic_profit + 0.01 WHERE {ONE_ROW}")
    report = run_validation(db, stages=("marts",), suites=[FCT], record=False)
    assert report.passed and not report.warnings, report.summary()


RATES = ("contact_rate", "reach_rate", "target_response_rate", "control_response_rate", "target_conversion_rate",
         "control_conversion_rate")
UPLIFTS = ("conversion_uplift", "conversion_uplift_ci_low", "conversion_uplift_ci_high", "incremental_conversions",
           "incremental_aum_per_member", "incremental_aum", "incremental_net_contribution_per_member",
           "incremental_net_contribution", "roi")
CAMPAIGN_MARTS = [
    "CREATE TABLE marts.fct_campaign_members AS SELECT * FROM (VALUES ('M1', 'P1', 'T', false, true), "
    "('M1', 'P2', 'C', true, false), ('M1', 'P3', 'C', false, true), ('M2', 'P1', 'T', false, true)) "
    "AS t(campaign_id, cif_no, list_group_code, is_control_contacted, is_in_uplift)",
    # M1 measured (its uplift may be negative), M2 without a control group: every uplift NULL, never zero
    "CREATE TABLE marts.rpt_campaign_performance AS SELECT * FROM (VALUES "
    f"('M1', 'CAMPAIGN', NULL, NULL, 'MEASURED', 100.00, {', '.join(['0.5'] * len(RATES))}, "
    f"{', '.join(['-0.25'] * len(UPLIFTS))}), "
    f"('M2', 'CAMPAIGN', NULL, NULL, 'NO_CONTROL', 100.00, {', '.join(['0.5'] * len(RATES))}, "
    f"{', '.join(['NULL'] * len(UPLIFTS))})) AS t(campaign_id, breakdown_code, segment_code, branch_code, "
    f"uplift_status_code, cost_amount, {', '.join(RATES)}, {', '.join(UPLIFTS)})",
]
PERF = "marts.rpt_campaign_performance"
CAMPAIGN_BREAKS = {
    "marts.fct_campaign_members.unique_key": [
        "INSERT INTO marts.fct_campaign_members SELECT * FROM marts.fct_campaign_members WHERE cif_no = 'P1'"],
    "marts.fct_campaign_members.control_contacted_out_of_uplift": [
        "UPDATE marts.fct_campaign_members SET is_in_uplift = true WHERE cif_no = 'P2'"],
    f"{PERF}.rates_within_0_1": [f"UPDATE {PERF} SET reach_rate = 1.2 WHERE campaign_id = 'M1'"],
    f"{PERF}.uplift_null_when_not_measurable": [f"UPDATE {PERF} SET conversion_uplift = 0 WHERE campaign_id = 'M2'"],
}


def test_the_campaign_marts_are_checked_when_built(clean_marts: Path, tmp_path: Path) -> None:
    db = _broken(clean_marts, tmp_path, *CAMPAIGN_MARTS)
    report = run_validation(db, stages=("marts",), record=False)
    assert report.passed and not report.warnings, report.summary()
    assert {"marts.fct_campaign_members", PERF} <= {o.suite for o in report.outcomes}
    for name, sql in {**CAMPAIGN_BREAKS, f"{PERF}.uplift_null_when_not_measurable (measured, NULL)": [
            f"UPDATE {PERF} SET incremental_aum = NULL WHERE campaign_id = 'M1'"]}.items():
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        broken = _broken(db, folder, *sql)
        report = run_validation(broken, stages=("marts",), suites=[".".join(name.split(".")[:2])], record=False)
        failed = {o.name for o in report.outcomes if not o.success and o.severity is Severity.CRITICAL}
        assert not report.passed and name.split(" ")[0] in failed, (name, report.summary())
