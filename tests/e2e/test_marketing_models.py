"""The marketing models on a generated bank of a whole year (the shared bank's five months leave too few months with
known next-best-product labels): the labels are the openings of the months after T, recomputed here from the
accounts; the propensity model beats the most-popular baseline for every family with enough openers; the
segmentation's month-to-month stability is measured and written back; and the marts views hold the RMs' target lists
after scoring."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from crmwh.build import run_build, score_with_marketing_models
from crmwh.publish import resolve_served
from models.errors import ModelError
from models.marketing_artifacts import latest_propensity, latest_segments
from models.marketing_card import render
from models.marketing_training import MarketingTrainReport, train_marketing_from_warehouse
from models.targeting_backtest import backtest_from_warehouse, truth_from_manifest

from support import dbt_harness
from support.bank import SEED, START, built_once, crmwh

pytestmark = pytest.mark.slow

SCALE = "0.01"
DAYS = "365"
HORIZON = 3  # parameter nbp_horizon_months


def _build_year(folder: Path) -> None:
    landing = folder / "landing"
    crmwh("generate", "--scale", SCALE, "--days", DAYS, "--start", START, "--seed", str(SEED), "--landing",
          str(landing), "--quiet")
    served = folder / "served" / "crmwh.duckdb"
    with dbt_harness.in_process_builds():
        report = run_build(landing, served, validate=False, progress=False)
    assert report.published, report.summary()
    (folder / "warehouse.duckdb").write_bytes(resolve_served(served).read_bytes())


@pytest.fixture(scope="module")
def year_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(tmp_path_factory, "generated-bank-year", _build_year) / "warehouse.duckdb"


@pytest.fixture(scope="module")
def trained(year_bank: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[MarketingTrainReport, Path]:
    models = tmp_path_factory.mktemp("marketing-models")
    return train_marketing_from_warehouse(year_bank, models), models


def test_labels_are_the_openings_of_the_months_after_t(year_bank: Path) -> None:
    with duckdb.connect(str(year_bank), read_only=True) as con:
        labels = con.execute("select month_start, party_id, product_family_code, is_opener, is_label_known "
                             "from intermediate.int_nbp_labels_monthly").df()
        opened = con.execute("""select a.party_id, f.product_family_code, a.opened_on
            from intermediate.int_accounts as a
            join seeds.product_families as f on f.category_code = a.category_code""").df()
        last = con.execute("select max(month_start) from intermediate.int_month_watermarks where is_complete"
                           ).fetchone()[0]
    labels["month_start"] = pd.to_datetime(labels["month_start"])
    opened["opened_month"] = pd.to_datetime(opened["opened_on"]).dt.to_period("M").dt.to_timestamp()
    pairs = labels.merge(opened, on=["party_id", "product_family_code"], how="left")
    ahead = (pairs["opened_month"] > pairs["month_start"]) & (
        pairs["opened_month"] <= pairs["month_start"] + pd.DateOffset(months=HORIZON))
    expected = ahead.groupby([pairs["month_start"], pairs["party_id"], pairs["product_family_code"]]).any()
    actual = labels.set_index(["month_start", "party_id", "product_family_code"])["is_opener"]
    assert actual.sum() > 100
    assert (expected.reindex(actual.index).fillna(False) == actual).all()
    known = labels.groupby("month_start")["is_label_known"].all()
    assert known.to_dict() == {m: m + pd.DateOffset(months=HORIZON) <= pd.Timestamp(last) for m in known.index}


def test_the_propensity_model_beats_the_most_popular_product(trained: tuple[MarketingTrainReport, Path]) -> None:
    report = trained[0].propensity
    assert report is not None
    modelled = [e for e in report.families if e.modelled]
    assert modelled, "no family had enough openers"
    for e in modelled:
        assert e.model_auc is not None and e.baseline_auc is not None
        assert e.model_auc > e.baseline_auc, (e.family, e.model_auc, e.baseline_auc)


def test_segmentation_stability_is_measured_and_reported(trained: tuple[MarketingTrainReport, Path]) -> None:
    report = trained[0].segments
    assert report is not None
    k = len(report.artifact.centroids)
    assert report.silhouettes[k] == max(report.silhouettes.values())
    assert len(report.stability) == 11  # twelve complete months
    kept = [r["share_kept"] for r in report.stability]
    ari = [r["adjusted_rand_index"] for r in report.stability]
    # carried-forward centroids: most customers keep their segment, far above chance (one in k)
    assert sum(kept) / len(kept) > max(0.5, 2 / k)
    assert sum(ari) / len(ari) > 0.3
    assert "kept their segment" in render(None, report)


def test_scoring_fills_the_target_lists_and_segments(trained: tuple[MarketingTrainReport, Path],
                                                     year_bank: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "wh.duckdb"
    warehouse.write_bytes(year_bank.read_bytes())
    models = trained[1]
    assert latest_propensity(models) is not None and latest_segments(models) is not None
    messages = score_with_marketing_models(warehouse, models)
    assert messages[0].startswith("next best product for") and messages[1].startswith("segments of"), messages
    with duckdb.connect(str(warehouse), read_only=True) as con:
        month, customers = con.execute("select max(month_start), count(*) from intermediate.int_churn_features_monthly "
                                       "where month_start = (select max(month_start) from "
                                       "intermediate.int_churn_features_monthly)").fetchone()
        lists = con.execute("select * from marts.fct_next_best_product_monthly").df()
        books = lists.groupby(lists["rm_id"].fillna(""))["rank_in_book"]
        segments = con.execute("select count(*), count(distinct month_start), count(*) filter "
                               "(where segment_name is null) from marts.fct_customer_segments_monthly").fetchone()
        stability = con.execute("select count(*) from marts.fct_segment_stability_monthly").fetchone()[0]
    assert set(pd.to_datetime(lists["month_start"])) == {pd.Timestamp(month)}
    assert lists["party_id"].is_unique and customers - 20 <= len(lists) <= customers  # all but who hold everything
    assert (books.min() == 1).all() and (books.max() == books.count()).all()
    assert lists["reasons"].str.len().gt(0).mean() > 0.9
    assert segments[1] == 12 and segments[2] == 0 and stability == 11


def test_targeting_the_top_propensity_decile_pays(year_bank: Path) -> None:
    """Backtest on the generator's true effects: over the campaigns with a control group and enough history before
    them, contacting the tenth of each target group with the highest propensity (scored at the month end before the
    campaign, by a model trained on the months known then) brings more true new money per contact than a random
    tenth; the campaigns too early for such a model are listed with the reason. (Per campaign, a top decile of about
    20 targets on this small bank is too few to assert on: its figures are printed into the card.)"""
    manifest = json.loads((year_bank.parent / "landing" / "_manifest.json").read_text(encoding="utf-8"))
    campaigns = {c["campaign_id"]: c for c in manifest["truth"]["campaigns"]}
    report = backtest_from_warehouse(year_bank, truth_from_manifest(campaigns.values()))
    print("\n".join(render(None, None, report).splitlines()))
    with_control = {cid for cid, c in campaigns.items() if c["has_control"]}
    assert {c.campaign_id for c in report.campaigns} | set(report.not_backtested) == with_control
    assert report.campaigns, report.not_backtested
    assert all(reason.startswith("too little history before it") for reason in report.not_backtested.values())
    for c in report.campaigns:
        # random targeting's value is the target group's mean true effect, recomputed here from the manifest
        targets = [m for m in campaigns[c.campaign_id]["members"] if m[1] == "T"]
        assert c.targets == len(targets) and c.top_targets == -(-len(targets) // 10)
        assert c.random_value == pytest.approx(sum((m[4] - m[3]) * m[5] for m in targets) / len(targets))
        # trained only on months whose labels were known at the scoring month end
        assert pd.Timestamp(max(c.train_months)) + pd.DateOffset(months=HORIZON) <= pd.Timestamp(c.scored_month)
    pooled = report.pooled()
    assert pooled is not None and pooled[1] > pooled[0], pooled
    assert "Targeting that pays" in render(None, None, report)
    # a truth that misses list members (another bank's manifest) is an error, not a campaign left out
    latest = report.campaigns[-1].campaign_id
    with pytest.raises(ModelError, match="no record of"):
        backtest_from_warehouse(year_bank, {latest: truth_from_manifest([campaigns[latest]])[latest][:-1]})
