"""Campaign measurement on the generated bank (tests/support/bank.py): the warehouse's uplift against the control
group finds the generator's true causal effect (the manifest's ``truth.campaigns``) within its confidence interval,
the takers' new money is in core as accounts, and a campaign without a control group is 不可测, never zero."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from support.bank import GeneratedBank

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory, generated_bank: GeneratedBank) -> tuple[Path, dict[str, Any]]:
    warehouse = generated_bank.copy_warehouse(tmp_path_factory.mktemp("campaign-bank") / "bank.duckdb")
    return warehouse, generated_bank.manifest


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _truth(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["campaign_id"]: c for c in manifest["truth"]["campaigns"]}


def _true_effects(members: list[list[Any]], segment_of: dict[str, str] | None = None,
                  segment: str | None = None) -> tuple[float, float]:
    """The true effect on the target group (intent to treat): mean over its members of the take-up probability in
    the target group minus without the campaign, and the same weighted by the expected amount (new money)."""
    chosen = [m for m in members if m[1] == "T" and (segment is None or (segment_of or {}).get(m[0]) == segment)]
    conversion = sum(m[4] - m[3] for m in chosen) / len(chosen)
    money = sum((m[4] - m[3]) * m[5] for m in chosen) / len(chosen)
    return conversion, money


def test_measured_uplift_covers_the_true_effect(bank: tuple[Path, dict[str, Any]]) -> None:
    db, manifest = bank
    truth = _truth(manifest)
    rows = _rows(db, """
        SELECT campaign_id, conversion_uplift, conversion_uplift_ci_low, conversion_uplift_ci_high,
               incremental_aum_per_member_ci_low, incremental_aum_per_member_ci_high
        FROM marts.rpt_campaign_performance
        WHERE breakdown_code = 'CAMPAIGN' AND is_window_closed AND uplift_status_code = 'MEASURED'
        ORDER BY campaign_id""")
    assert len(rows) >= 2  # the first two campaigns of the horizon are over and measured
    for campaign_id, uplift, low, high, money_low, money_high in rows:
        conversion, money = _true_effects(truth[campaign_id]["members"])
        assert low <= Decimal(str(round(conversion, 6))) <= high, (campaign_id, conversion, low, high)
        assert money_low <= Decimal(str(round(money, 2))) <= money_high, (campaign_id, money, money_low, money_high)
        assert uplift > 0  # the campaigns work: a true effect of several points on a few hundred targets


def test_segment_uplift_covers_the_true_effect_of_that_segment(bank: tuple[Path, dict[str, Any]]) -> None:
    db, manifest = bank
    truth = _truth(manifest)
    segments = {(c, cif): s for c, cif, s in _rows(db, "SELECT campaign_id, cif_no, segment_code "
                                                       "FROM marts.fct_campaign_members")}
    rows = _rows(db, """
        SELECT campaign_id, segment_code, conversion_uplift_ci_low, conversion_uplift_ci_high
        FROM marts.rpt_campaign_performance
        WHERE breakdown_code = 'SEGMENT' AND is_window_closed AND uplift_status_code = 'MEASURED'""")
    assert rows
    for campaign_id, segment, low, high in rows:
        members = truth[campaign_id]["members"]
        segment_of = {m[0]: segments[(campaign_id, m[0])] for m in members}
        conversion, _ = _true_effects(members, segment_of, segment)
        assert low <= Decimal(str(round(conversion, 6))) <= high, (campaign_id, segment, conversion, low, high)


def test_a_campaign_without_control_group_is_not_measurable_never_zero(bank: tuple[Path, dict[str, Any]]) -> None:
    db, manifest = bank
    without = {c for c, t in _truth(manifest).items() if not t["has_control"]}
    assert without
    rows = _rows(db, f"""
        SELECT campaign_id, uplift_status_name, conversion_uplift, incremental_aum, roi, cost_per_acquisition
        FROM marts.rpt_campaign_performance WHERE campaign_id IN ({", ".join(f"'{c}'" for c in without)})""")
    assert rows
    assert {r[1:] for r in rows} == {("不可测（无对照组）", None, None, None, None)}


def test_takers_new_money_is_in_core_and_every_response_is_accounted_for(bank: tuple[Path, dict[str, Any]]) -> None:
    db, manifest = bank
    sums = _rows(db, "SELECT sum(amount), sum(new_money_amount), count(*) FROM marts.fct_campaign_responses")[0]
    extract = manifest["extracts"]["marketing.responses"]
    assert sums == (Decimal(extract["sums"]["amount"]), Decimal(extract["sums"]["amount"]), extract["rows"])
    # each product taken is an account of the promoted product, opened in core on the response day with the amount
    missing = _rows(db, """
        SELECT r.response_id FROM marts.fct_campaign_responses r
        JOIN marts.dim_campaign c USING (campaign_id)
        LEFT JOIN staging.stg_core__accounts a ON a.account_no = r.account_no
        LEFT JOIN (SELECT DISTINCT account_id, txn_on, amount FROM marts.fct_transactions) t
            ON t.account_id = r.account_no AND t.txn_on = r.responded_on AND t.amount = r.amount
        WHERE r.response_type_code = 'T'
          AND (a.account_no IS NULL OR a.product_code <> c.product_code OR a.opened_on <> r.responded_on
               OR t.account_id IS NULL)""")
    assert missing == []


def test_flagged_contacts_and_the_control_customers_left_out(bank: tuple[Path, dict[str, Any]]) -> None:
    db, _ = bank
    outside, control = _rows(db, """
        SELECT count(*) FILTER (WHERE is_outside_campaign_dates), count(*) FILTER (WHERE is_control_contacted)
        FROM marts.fct_campaign_contacts""")[0]
    assert outside > 0 and control > 0  # the generator logs a few late contacts and contacts a few controls
    bad = _rows(db, """
        SELECT campaign_id FROM marts.rpt_campaign_performance
        WHERE breakdown_code = 'CAMPAIGN' AND control_in_uplift <> control_members - control_contacted""")
    assert bad == []
