"""The warehouse built on a generated bank agrees with the generator's manifest of true totals: the ledger, the
balances, who churned, which loans defaulted, which card customers are core customers. Plus the SCD2 promise:
30 days loaded at once give exactly the history 30 daily builds give."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from crmwh.build import run_build

from support import dbt_harness
from support.bank import GeneratedBank

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory, generated_bank: GeneratedBank) -> tuple[Path, dict[str, Any]]:
    """This module's copy of the shared generated bank (tests/support/bank.py: 150 days, built by a full dbt build)."""
    warehouse = generated_bank.copy_warehouse(tmp_path_factory.mktemp("dbt-bank") / "bank.duckdb")
    return warehouse, generated_bank.manifest


def _rows(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _by_month(manifest: dict[str, Any], part: str) -> dict[str, dict[str, Decimal]]:
    return {month: {k: Decimal(v) for k, v in data[part].items()} for month, data in manifest["truth"]["gl"].items()}


def test_interest_in_the_contribution_fact_equals_the_ledger(bank: tuple[Path, dict[str, Any]]) -> None:
    db, manifest = bank
    facts = {m.strftime("%Y-%m"): (i, e) for m, i, e in _rows(db, """
        SELECT month_start, sum(interest_income), sum(interest_expense) FROM marts.fct_contribution_monthly
        GROUP BY 1""")}
    for month, accounts in _by_month(manifest, "interest").items():
        income = sum((v for k, v in accounts.items() if k.startswith("6011")), Decimal("0"))
        expense = sum((v for k, v in accounts.items() if k.startswith("6411")), Decimal("0"))
        assert facts[month] == (income, expense), month


def test_fees_in_the_contribution_fact_equal_the_ledger(bank: tuple[Path, dict[str, Any]]) -> None:
    db, manifest = bank
    facts = {m.strftime("%Y-%m"): f for m, f in _rows(db, """
        SELECT month_start, sum(fee_income) FROM marts.fct_contribution_monthly GROUP BY 1""")}
    for month, accounts in _by_month(manifest, "fees").items():
        assert facts[month] == sum(accounts.values(), Decimal("0")), month


def test_operating_expense_per_cost_centre_equals_the_ledger_and_is_all_allocated(
        bank: tuple[Path, dict[str, Any]]) -> None:
    db, manifest = bank
    truth: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for month, data in manifest["truth"]["gl"].items():
        for line in data["opex"]:
            truth[(month, line["cost_centre"])] += Decimal(line["amount"])
    facts = {(m.strftime("%Y-%m"), cc): (gl, alloc) for m, cc, gl, alloc in _rows(db, """
        SELECT month_start, cost_centre_code, sum(gl_operating_expense), sum(allocated_amount)
        FROM marts.fct_branch_costs_monthly GROUP BY 1, 2""")}
    assert set(facts) == set(truth)
    for key, amount in truth.items():
        assert facts[key] == (amount, amount), key
    to_accounts = {m.strftime("%Y-%m"): c for m, c in _rows(db, """
        SELECT month_start, sum(allocated_operating_cost) FROM marts.fct_contribution_monthly GROUP BY 1""")}
    residual = {m.strftime("%Y-%m"): r for m, r in _rows(db, """
        SELECT month_start, sum(residual_amount) FROM marts.fct_branch_costs_monthly GROUP BY 1""")}
    for month in manifest["truth"]["gl"]:
        ledger = sum((v for (m, _), v in truth.items() if m == month), Decimal("0"))
        assert to_accounts[month] + residual[month] == ledger, month


def test_balances_and_accruals_match_the_extract_totals(bank: tuple[Path, dict[str, Any]]) -> None:
    db, manifest = bank
    extracts = manifest["extracts"]
    assert _rows(db, "SELECT sum(balance) FROM staging.stg_core__balances") == [
        (Decimal(extracts["core.balances"]["sums"]["balance"]),)]
    assert _rows(db, """SELECT sum(accrued_interest) FROM marts.fct_account_balances_monthly
                        WHERE account_source = 'core'""") == [
        (Decimal(extracts["core.interest_accruals"]["sums"]["accrued_interest"]),)]
    assert _rows(db, """SELECT sum(month_end_balance) FROM marts.fct_account_balances_monthly
                        WHERE account_source = 'cards'""") == [
        (Decimal(extracts["cards.card_statements"]["sums"]["closing_balance"]),)]
    assert _rows(db, "SELECT count(*) FROM marts.fct_transactions") == [(extracts["core.transactions"]["rows"],)]
    assert _rows(db, "SELECT count(*) FROM marts.fct_card_transactions") == [
        (extracts["cards.card_transactions"]["rows"],)]


def test_ftp_reprices_rollovers_and_prices_each_currency_on_its_curve(bank: tuple[Path, dict[str, Any]]) -> None:
    db, manifest = bank
    last_rollover: dict[str, str] = {}
    for r in manifest["truth"]["rollovers"]:
        last_rollover[r["account_no"]] = max(last_rollover.get(r["account_no"], ""), r["rolled_over_on"])
    assert len(last_rollover) >= 20
    priced = _rows(db, """
        SELECT account_id, month_start, pricing_on, pricing_periods FROM intermediate.int_ftp_account_monthly
        WHERE ftp_method = 'matched_maturity'""")
    checked = 0
    for account_id, month_start, pricing_on, periods in priced:
        if account_id not in last_rollover:
            continue
        rolled_on = date.fromisoformat(last_rollover[account_id])
        if month_start > rolled_on:  # the months after the renewal: the new lock
            assert pricing_on == rolled_on, (account_id, month_start)
            checked += 1
        elif month_start.year == rolled_on.year and month_start.month == rolled_on.month:
            # the month of the renewal: the new lock from its day, two periods unless it fell on the 1st
            assert pricing_on == rolled_on, (account_id, month_start)
            assert periods == (1 if rolled_on.day == 1 else 2), (account_id, month_start)
            checked += 1
        else:
            assert pricing_on < rolled_on, (account_id, month_start)
    assert checked >= 20
    currencies = _rows(db, """
        SELECT currency_code, curve_currency_code, is_curve_currency_fallback, count(*)
        FROM intermediate.int_ftp_account_monthly WHERE ftp_method <> 'none' GROUP BY ALL ORDER BY ALL""")
    assert {(c, k, f) for c, k, f, _ in currencies} == {
        ("CNY", "CNY", False), ("USD", "USD", False), ("HKD", "CNY", True), ("EUR", "CNY", True)}
    ((first_curve,),) = _rows(db, "SELECT min(curve_on) FROM staging.stg_ref__ftp_curve")
    fallbacks = _rows(db, """
        SELECT ftp_method, is_curve_date_fallback, pricing_on < (SELECT min(curve_on) FROM staging.stg_ref__ftp_curve),
               pricing_periods, count(*)
        FROM intermediate.int_ftp_account_monthly WHERE ftp_method <> 'none' GROUP BY ALL""")
    # flagged exactly when the pricing date precedes the history (in a renewal month: when either period's did)
    assert all(flag == before for _, flag, before, periods, _ in fallbacks if periods == 1)
    assert all(flag for _, flag, before, _, _ in fallbacks if before)
    assert ("matched_maturity", True) in {(m, f) for m, f, _, _, _ in fallbacks}  # deposits older than the history
    assert first_curve < date(2025, 1, 1)  # the history came with the first delivery
    flagged = _rows(db, """
        SELECT count(*) FILTER (WHERE is_ftp_curve_fallback), count(*) FROM marts.fct_contribution_monthly
        WHERE ftp_method <> 'none'""")
    assert 0 < flagged[0][0] < flagged[0][1] / 10


def test_card_customers_are_matched_to_their_core_customer(bank: tuple[Path, dict[str, Any]]) -> None:
    db, manifest = bank
    party_of = {(s, n): p for s, n, p in _rows(db, """
        SELECT source_system, source_customer_no, party_id FROM intermediate.int_party_xref""")}
    delivered = {n for (n,) in _rows(db, "SELECT DISTINCT card_customer_no FROM raw.cards__cards")}
    # the manifest knows every cardholder of the world, including any whose card was never delivered in the horizon
    mapping = {k: v for k, v in manifest["truth"]["card_customers"].items() if k in delivered}
    assert {n for (s, n) in party_of if s == "cards"} == delivered
    for card_customer, cif in mapping.items():
        if cif is None:  # card-only: a party of its own
            assert party_of[("cards", card_customer)] not in {p for (s, _), p in party_of.items() if s == "core"}
        else:
            assert party_of[("cards", card_customer)] == party_of[("core", cif)], card_customer
    card_only = sum(1 for cif in mapping.values() if cif is None)
    # one current version per party of the world, plus the unknown member (customer_key -1)
    assert _rows(db, "SELECT count(*) FROM marts.dim_customer WHERE is_current") == [
        (manifest["truth"]["customers"] + card_only + 1,)]
    assert _rows(db, "SELECT count(*) FROM marts.dim_customer WHERE is_current AND customer_key <> '-1'") == [
        (manifest["truth"]["customers"] + card_only,)]
    flagged = {n for (n,) in _rows(db, """SELECT source_customer_no FROM restricted_pii.pii_party_members
                                          WHERE source_system = 'cards' AND has_name_mismatch""")}
    assert flagged == set(manifest["truth"]["card_name_conflicts"]) & delivered


def test_churned_customers_are_found_as_such(bank: tuple[Path, dict[str, Any]]) -> None:
    db, manifest = bank
    churned = manifest["truth"]["churned"]
    assert churned, "the generated horizon should contain churners"
    found = {cif: (on.isoformat(), outcome) for cif, on, outcome in _rows(db, """
        SELECT p.survivor_cif_no, e.attrited_on, e.attrition_outcome
        FROM intermediate.int_party_attrition_events e JOIN intermediate.int_parties p USING (party_id)
        WHERE p.party_source_system = 'core'""")}
    assert found == {c["cif_no"]: (c["churn_date"], c["outcome"]) for c in churned}
    in_reports = _rows(db, "SELECT count(*) FROM marts.rpt_customer_loyalty WHERE is_attrited_in_month")
    assert in_reports == [(len(churned),)]


def test_defaulted_loans_are_non_performing(bank: tuple[Path, dict[str, Any]]) -> None:
    db, manifest = bank
    defaulted = manifest["truth"]["defaulted"]
    assert defaulted
    first_npl = dict(_rows(db, """
        SELECT loan_account_no, min(snapshot_on) FROM staging.stg_core__loans
        WHERE five_class_code IN ('次级', '可疑', '损失') GROUP BY 1"""))
    for loan in defaulted:
        if not loan["before_horizon"]:
            assert first_npl[loan["loan_account_no"]].isoformat() == loan["default_date"], loan
    # month-end view: a defaulted loan non-performing in its month's last snapshot makes its borrower non-performing
    # in the risk report of that month (a loan can dip into 次级 for a day and be cured before the month end)
    month_end_npl = _rows(db, """
        WITH last_day AS (SELECT date_trunc('month', snapshot_on) AS m, max(snapshot_on) AS d
                          FROM staging.stg_core__loans GROUP BY 1)
        SELECT l.loan_account_no, x.party_id, CAST(last_day.m AS DATE)
        FROM staging.stg_core__loans l JOIN last_day ON l.snapshot_on = last_day.d
        JOIN intermediate.int_party_xref x ON x.source_system = 'core' AND x.source_customer_no = l.cif_no
        WHERE l.five_class_code IN ('次级', '可疑', '损失')""")
    assert month_end_npl
    flagged = set(_rows(db, "SELECT party_id, month_start FROM marts.rpt_customer_risk WHERE is_non_performing"))
    defaulted_loans = {d["loan_account_no"] for d in defaulted}
    for loan, party, month in month_end_npl:
        assert loan in defaulted_loans, loan
        assert (party, month) in flagged, (loan, month)
    never_defaulted = set(first_npl) - {d["loan_account_no"] for d in defaulted}
    assert not never_defaulted, f"loans non-performing in the warehouse but not defaulted: {never_defaulted}"


def test_write_offs_and_cures_move_the_provision_once(bank: tuple[Path, dict[str, Any]]) -> None:
    """The generator's write-offs reach the credit cost in their month (the provision used, only the excess charged)
    and a cured default releases its provision; a defaulted loan is not charged PD = 1 again every month."""
    db, manifest = bank
    written_off = manifest["truth"]["written_off"]
    assert written_off
    costs = {(a, m.isoformat()): (opening, written, closing, charge) for a, m, opening, written, closing, charge in
             _rows(db, """SELECT account_id, month_start, opening_provision, written_off_cny, closing_provision,
                                 provision_charge FROM intermediate.int_credit_cost_account_monthly""")}
    for w in written_off:
        month = w["write_off_date"][:8] + "01"
        opening, written, closing, charge = costs[(w["loan_account_no"], month)]
        assert (written, closing) == (Decimal(w["amount"]), Decimal("0.00")), w
        assert opening > 0 and charge == written - opening, w
    # a cure: non-performing at one month end, performing and still outstanding at the next — the provision released
    cures = _rows(db, """
        SELECT c.account_id, c.month_start, c.provision_charge
        FROM intermediate.int_credit_cost_account_monthly c
        JOIN intermediate.int_risk_account_monthly r USING (month_start, account_id)
        WHERE r.exposure_source = 'loan' AND c.opening_provision > 0 AND c.closing_provision = 0
          AND c.written_off_cny = 0 AND r.is_outstanding_at_month_end AND NOT r.is_non_performing""")
    assert cures and all(charge < 0 for _, _, charge in cures), cures
    # a loan non-performing at both ends of a month with an unchanged provision costs nothing that month
    unchanged = _rows(db, """
        SELECT count(*), count(*) FILTER (WHERE c.credit_cost <> 0)
        FROM intermediate.int_credit_cost_account_monthly c
        WHERE c.exposure_source = 'loan' AND c.opening_provision > 0 AND c.opening_provision = c.closing_provision
          AND c.written_off_cny = 0""")
    assert unchanged[0][0] > 0 and unchanged[0][1] == 0


def test_term_loans_carry_their_drawn_balance_and_mortgages_every_ltv_band(bank: tuple[Path, dict[str, Any]]) -> None:
    db, _ = bank
    ((term, repaid, above_drawn),) = _rows(db, """
        SELECT count(*), count(*) FILTER (WHERE l.credit_limit > l.outstanding_principal),
               count(*) FILTER (WHERE r.closing_exposure_at_default_cny <> r.outstanding_cny)
        FROM intermediate.int_risk_account_monthly r
        JOIN staging.stg_core__loans l ON l.loan_account_no = r.account_id
         AND l.snapshot_on = (SELECT max(s.snapshot_on) FROM staging.stg_core__loans s
                              WHERE s.loan_account_no = r.account_id
                                AND date_trunc('month', s.snapshot_on) = r.month_start)
        WHERE r.facility_type = 'TERM'""")
    assert term > 0 and repaid > 0  # loans partly repaid ...
    assert above_drawn == 0  # ... whose repaid principal counts nowhere in the exposure
    bands = _rows(db, """SELECT DISTINCT risk_weight FROM intermediate.int_capital_account_monthly
                         WHERE exposure_class = 'RETAIL_MORTGAGE' AND NOT is_non_performing""")
    assert len(bands) >= 5, bands


MONTHLY_MARTS = ("fct_account_balances_monthly", "fct_contribution_monthly", "fct_branch_costs_monthly",
                 "rpt_customer_value", "rpt_customer_loyalty", "rpt_rm_scorecard", "rpt_rm_performance",
                 "rpt_branch_league_table", "rpt_product_profitability", "rpt_transaction_channel_mix",
                 "rpt_corporate_customers", "rpt_customer_risk", "rpt_credit_classification_migration",
                 "rpt_plan_vs_actual_monthly")


def test_every_monthly_mart_says_whether_its_month_is_complete(bank: tuple[Path, dict[str, Any]]) -> None:
    db, _ = bank
    # 150 days from 2025-01-01 end on 30 May: May is the running month (月初至今), 30 of its 31 days observed
    expected = {date(2025, m, 1): (m < 5, {1: 31, 2: 28, 3: 31, 4: 30, 5: 30}[m]) for m in range(1, 6)}
    for mart in MONTHLY_MARTS:
        rows = _rows(db, f"SELECT DISTINCT month_start, is_month_complete FROM marts.{mart}")
        assert rows and all(complete == expected[month][0] for month, complete in rows), mart
        if mart != "fct_account_balances_monthly":  # its observed_days are the account's, on core deliveries
            days = _rows(db, f"SELECT DISTINCT month_start, observed_days FROM marts.{mart}")
            assert all(observed == expected[month][1] for month, observed in days), mart


LEAGUE_FIGURE = {"DEPOSIT_ADB": "deposits_adb_cny", "LOAN_ADB": "loans_adb_cny", "FEE_INCOME": "fee_income",
                 "NET_CONTRIBUTION": "net_contribution"}


def test_plan_vs_actual_reads_the_league_table_figures_and_the_plan_in_force(
        bank: tuple[Path, dict[str, Any]]) -> None:
    db, _ = bank
    plan_rows = _rows(db, """
        SELECT month_start, branch_code, plan_measure_code, plan_cny, actual_cny, achievement_rate, has_plan
        FROM marts.rpt_plan_vs_actual_monthly""")
    actual = {(m, b, k): a for m, b, k, _, a, _, _ in plan_rows}
    league = _rows(db, f"""SELECT month_start, branch_code, {", ".join(LEAGUE_FIGURE.values())}
                          FROM marts.rpt_branch_league_table""")
    assert league
    for month, branch, *figures in league:
        for measure, figure in zip(LEAGUE_FIGURE, figures, strict=True):
            assert actual[(month, branch, measure)] == figure, (month, branch, measure)
            assert isinstance(figure, Decimal)
    # every actual comes from a league-table row; the rest are outlets with a plan and nothing booked
    in_league = {(m, b) for m, b, *_ in league}
    assert all(a == 0 for (m, b, _), a in actual.items() if (m, b) not in in_league)

    # the plan is the latest delivery's (the snapshot in force), for the months the warehouse holds
    delivered = dict(_rows(db, """
        SELECT measure_code, sum(target_amount) FROM raw.ref__business_plan
        WHERE _business_date = (SELECT max(_business_date) FROM raw.ref__business_plan)
          AND plan_month IN (SELECT month_start FROM marts.rpt_plan_vs_actual_monthly)
        GROUP BY 1"""))
    planned: dict[str, Decimal] = defaultdict(Decimal)
    for _, _, measure, plan, *_ in plan_rows:
        planned[measure] += plan
    assert set(delivered) == set(LEAGUE_FIGURE) and dict(planned) == delivered
    # planned at outlets only (a region's or the bank's target is the sum of its outlets')
    levels = _rows(db, """SELECT DISTINCT d.branch_level_code FROM marts.rpt_plan_vs_actual_monthly p
                          JOIN marts.dim_branch d USING (branch_code) WHERE p.has_plan""")
    assert {lvl for lvl, in levels} <= {"BRANCH", "SUB"}
    # the generator plans some outlets too high and some too low: both show in a closed month
    rates = [r for m, _, k, _, _, r, has in plan_rows if has and k == "DEPOSIT_ADB" and m == date(2025, 4, 1) and r]
    assert min(rates) < 1 < max(rates), rates


def test_rm_credit_is_shared_and_pro_rated_and_adds_up(bank: tuple[Path, dict[str, Any]]) -> None:
    db, _ = bank
    # each managed party's month is credited in full: the shares of its RMs add up to 1 (each rounded to 6 places)
    off = _rows(db, """SELECT count(*) FROM (SELECT month_start, party_id, sum(credit_share) AS total, count(*) AS n
                       FROM intermediate.int_rm_credit_monthly GROUP BY ALL) WHERE abs(total - 1) > 0.000001 * n""")
    assert off == [(0,)]
    # shared customers (分润) and customers handed to another RM inside a month are both there
    shared = _rows(db, """SELECT count(*) FILTER (WHERE NOT is_lead_rm), count(*) FILTER (WHERE rms_credited > 1
                          AND is_lead_rm AND credited_days < managed_days AND credited_share_days = credited_days)
                          FROM intermediate.int_rm_credit_monthly""")[0]
    assert shared[0] > 0 and shared[1] > 0, shared
    # a mid-month change credits each RM its days exactly
    changed = _rows(db, """SELECT credited_days, managed_days, credit_share FROM intermediate.int_rm_credit_monthly
                           WHERE rms_credited > 1 AND credited_share_days = credited_days""")
    for credited, managed, share in changed:
        exact = (Decimal(credited) / Decimal(managed)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        assert share == exact, (credited, managed)
    # money split to RMs loses and invents nothing
    totals = _rows(db, """SELECT sum(credited_net_contribution), sum(shared_customers) FROM marts.rpt_rm_performance""")
    parties = _rows(db, """SELECT sum(v.net_contribution) FROM intermediate.int_customer_value_monthly v
                           WHERE EXISTS (SELECT 1 FROM intermediate.int_rm_credit_monthly c
                                         WHERE c.month_start = v.month_start AND c.party_id = v.party_id)""")
    assert totals[0][0] == parties[0][0] and totals[0][1] > 0
    scores = _rows(db, "SELECT count(*), count(performance_score) FROM marts.rpt_rm_performance")[0]
    assert scores[0] > 0 and scores[1] == scores[0]


def test_the_generated_balances_are_continuous(bank: tuple[Path, dict[str, Any]]) -> None:
    db, _ = bank
    checked = dict(_rows(db, "SELECT account_source, count(*) FROM intermediate.int_balance_continuity_daily "
                             "GROUP BY 1"))
    assert checked.get("core", 0) > 1000 and checked.get("cards", 0) > 100, checked
    assert _rows(db, "SELECT count(*) FROM marts.rpt_balance_continuity_breaks") == [(0,)]


def test_every_account_has_its_primary_holder_and_the_extract_adds_the_other_parties(
    bank: tuple[Path, dict[str, Any]],
) -> None:
    db, manifest = bank
    assert manifest["extracts"]["core.account_parties"]["rows"] > 0
    # one primary holder per account: its owner
    assert _rows(db, """SELECT count(*) FROM intermediate.int_accounts AS a
                        LEFT JOIN marts.dim_account_party AS p
                            ON p.account_id = a.account_id AND p.party_role_code = '01'
                        WHERE p.party_id IS DISTINCT FROM a.party_id""") == [(0,)]
    # the extract's primary-holder rows name the account's own CIF
    assert _rows(db, """SELECT count(*) FROM staging.stg_core__account_parties AS p
                        JOIN staging.stg_core__accounts AS a USING (account_no)
                        WHERE p.party_role_code = '01' AND p.cif_no <> a.cif_no""") == [(0,)]
    # every joint holder, authorised user and guarantor delivered is a relationship of the customer view
    delivered = dict(_rows(db, """SELECT party_role, count(DISTINCT (account_no, cif_no)) FROM raw.core__account_parties
                                  WHERE party_role <> '01' GROUP BY 1"""))
    modelled = dict(_rows(db, """SELECT party_role_code, count(*) FROM marts.dim_account_party
                                 WHERE party_role_code <> '01' GROUP BY 1"""))
    assert set(delivered) == {"02", "03", "04"} and modelled == delivered
    # the single customer view counts them, and every personal customer related to an account has an AUM tier
    assert _rows(db, """SELECT sum(joint_holder_accounts) + sum(authorised_user_accounts) + sum(guaranteed_accounts)
                        FROM marts.dim_customer WHERE is_current""") == _rows(
        db, "SELECT count(*) FROM marts.dim_account_party WHERE party_role_code <> '01' AND is_current")
    assert _rows(db, """SELECT count(*) FROM intermediate.int_customer_aum_monthly AS m
                        JOIN (SELECT DISTINCT party_id FROM marts.dim_account_party WHERE party_role_code <> '01')
                            USING (party_id)
                        WHERE m.customer_type_code = 'P' AND m.aum_tier_code IS NULL""") == [(0,)]


def test_every_mart_column_is_documented(bank: tuple[Path, dict[str, Any]]) -> None:
    db, _ = bank
    documented: dict[str, set[str]] = {}
    for path in (DBT_DIR / "models" / "marts").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            documented[model["name"]] = {c["name"] for c in model.get("columns", []) if c.get("description")}
    actual: dict[str, set[str]] = defaultdict(set)
    for table, column in _rows(db, "SELECT table_name, column_name FROM information_schema.columns "
                                   "WHERE table_schema = 'marts'"):
        actual[table].add(column)
    for table, columns in actual.items():
        assert columns == documented.get(table, set()), f"marts.{table}: {columns ^ documented.get(table, set())}"


def test_docs_site_builds(bank: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    db, _ = bank
    dbt_harness.run_dbt(db, ["docs", "generate", "--static", "--target-path", str(tmp_path / "target")])
    assert (tmp_path / "target" / "static_index.html").stat().st_size > 100_000


def test_thirty_days_at_once_give_the_history_of_thirty_daily_builds(tmp_path: Path,
                                                                      generated_bank: GeneratedBank) -> None:
    # the shared bank's first 30 days
    landing = tmp_path / "landing"
    dates = dbt_harness.business_dates(generated_bank.landing)[:30]
    dbt_harness.stage_dates(generated_bank.landing, landing, dates)
    assert len(dbt_harness.business_dates(landing)) == 30
    history = ["--select", "+path:models/snapshots"]

    at_once = tmp_path / "at_once.duckdb"
    dbt_harness.ingest(landing, at_once)
    dbt_harness.run_dbt(at_once, ["run", *history])

    daily, daily_landing = tmp_path / "daily.duckdb", tmp_path / "daily_landing"
    dbt_daily = dbt_harness.InProcessDbt(daily)
    for day in dates:
        dbt_harness.stage_dates(landing, daily_landing, [day])
        dbt_harness.ingest(daily_landing, daily)
        dbt_daily(["run", *history])

    a = dbt_harness.table_fingerprints(at_once, ("snapshots",))
    b = dbt_harness.table_fingerprints(daily, ("snapshots",))
    assert set(a) >= {"snapshots.snap_core__customers", "snapshots.snap_ref__branches",
                      "snapshots.snap_ref__relationship_managers"}
    assert dbt_harness.differing_tables(a, b) == []
    versions = _rows(at_once, "SELECT count(*) - count(DISTINCT cif_no) FROM snapshots.snap_core__customers")
    assert versions[0][0] > 0, "the horizon should hold customer changes for the comparison to mean something"


def test_incremental_builds_in_parts_give_the_full_build(tmp_path: Path, bank: tuple[Path, dict[str, Any]],
                                                         generated_bank: GeneratedBank) -> None:
    # the whole: the shared bank, ingested at once and built by one full build
    whole, _ = bank
    dates = dbt_harness.business_dates(generated_bank.landing)
    assert len(dates) == 150

    # the parts go through `crmwh build` as in production: a full refresh first, then the daily selector (with dbt run
    # in this process, on a project parsed once: tests/e2e/test_superset_rebuild.py runs `crmwh build` whole)
    parts, parts_landing = tmp_path / "parts.duckdb", tmp_path / "parts_landing"
    # 1-25 Jan; 26 Jan-27 Feb across January's month end; 28 Feb-29 May across three month ends; then 30 May alone
    for chunk in (dates[:25], dates[25:58], dates[58:149], dates[149:]):
        dbt_harness.stage_dates(generated_bank.landing, parts_landing, chunk)
        with dbt_harness.in_process_builds():
            assert run_build(parts_landing, parts, validate=False, progress=False).published
    schemas = ("snapshots", "intermediate", "marts", "restricted_pii")
    assert dbt_harness.differing_tables(dbt_harness.table_fingerprints(whole, schemas),
                                    dbt_harness.table_fingerprints(parts, schemas)) == []
    builds = _rows(parts, "SELECT mode, dbt_args, max_batch_id FROM audit.dbt_builds ORDER BY build_id")
    assert [mode for mode, _, _ in builds] == ["full", "incremental", "incremental", "incremental"]
    # the same command every day (dbt keeps its parse); each daily build reads in audit.dbt_builds the newest batch the
    # build before it had seen, and tests the rows after it
    for before, after in pairwise(builds):
        assert after[1] == "build --selector daily"
        assert after[2] > before[2]
    # 30 May alone changed no complete month: the tables of complete months were carried over by the last build (their
    # record is that of the build before), and still equal the full build's (above)
    ((batch, through),) = _rows(parts, "SELECT DISTINCT max_batch_id, complete_through FROM audit.dbt_rebuild_inputs")
    assert batch <= builds[-2][2] < builds[-1][2] and through == date(2025, 4, 1)
