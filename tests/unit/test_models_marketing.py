"""The marketing models on a tiny hand-built warehouse: the next-best-product propensity learns planted opening
signals and beats the most-popular baseline, a family with too few openers is left to the baseline, the write-back
has one row per customer and family with exactly one best next product; the segmentation is named in Chinese, its
stability measured; and both are refused with a clear message when their tables are missing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from models import ModelError
from models.marketing_artifacts import latest_propensity, latest_segments
from models.marketing_scoring import score_propensity, score_segments
from models.marketing_training import train_marketing_from_warehouse
from models.propensity import baseline_score, segment_rates
from models.propensity_reasons import DRIVER_OF, DRIVER_TEXT, driver_of, top_drivers
from models.segments import TRAITS, segment_name, stability

from support.marketing_fixture import build_marketing_warehouse

FAMILIES = ("TERM_DEPOSIT", "WEALTH", "CREDIT_CARD", "CONSUMER_LOAN", "MORTGAGE")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("marketing")
    warehouse = build_marketing_warehouse(folder / "wh.duckdb")
    train_marketing_from_warehouse(warehouse, folder / "models")
    return warehouse, folder / "models"


def _copy(trained: tuple[Path, Path], tmp_path: Path) -> Path:
    warehouse = tmp_path / "wh.duckdb"
    warehouse.write_bytes(trained[0].read_bytes())
    return warehouse


def test_stability_is_the_share_kept_and_the_adjusted_rand_index_of_consecutive_months() -> None:
    # four customers in both months: two keep segment 1, one moves 2 -> 1, one keeps 2; a fifth only in January
    frame = pd.DataFrame({"month_start": pd.to_datetime(["2025-01-01"] * 5 + ["2025-02-01"] * 4),
                          "party_id": ["a", "b", "c", "d", "e", "a", "b", "c", "d"]})
    segment = np.array([1, 1, 2, 2, 1, 1, 1, 1, 2])
    [row] = stability(frame, segment)
    assert (row["previous_month"], row["month"], row["customers"]) == ("2025-01", "2025-02", 4)
    assert row["share_kept"] == pytest.approx(0.75)
    # pairs together in both months: 1 (a-b); together before: 2, after: 3, of 6 pairs; expected 2 x 3 / 6 = 1:
    # no better than chance, ARI (1 - 1) / ((2 + 3) / 2 - 1) = 0
    assert row["adjusted_rand_index"] == pytest.approx(0.0)
    same = stability(frame, np.array([1, 1, 2, 2, 1, 1, 1, 2, 2]))
    assert same[0]["share_kept"] == 1.0 and same[0]["adjusted_rand_index"] == pytest.approx(1.0)


def test_segment_names_come_from_the_strongest_traits_and_never_repeat() -> None:
    z = {f: 0.0 for f in TRAITS}
    rich = {**z, "log_aum": 1.5, "wealth_share": 0.9, "digital_share": 0.2}
    assert segment_name(rich, set()) == "高资产·理财偏好客群"
    assert segment_name(rich, {"高资产·理财偏好客群"}) == "高资产·理财偏好客群2"
    assert segment_name(z, set()) == "大众均衡客群"
    assert segment_name({**z, "log_transactions": -1.2}, set()) == "低活跃客群"


def test_reasons_group_holdings_by_own_and_other_families() -> None:
    features = ["accounts_wealth", "accounts_term_deposit", "maturing_deposits_3m", "aum_cny"]
    contrib = np.array([[0.1, 0.4, 0.3, -0.2, 0.0], [-0.1, -0.1, -0.2, -0.3, 0.5]])
    assert top_drivers(contrib, features, "TERM_DEPOSIT") == [["same_family", "deposit_maturing", "related_products"],
                                                               []]
    assert driver_of("months_since_wealth", "WEALTH") == "same_family"
    assert set(DRIVER_OF.values()) | {"same_family", "related_products"} == set(DRIVER_TEXT)


def test_the_popularity_baseline_is_the_training_rate_of_the_customers_tier() -> None:
    train = pd.DataFrame({"aum_tier_code": ["MASS", "MASS", "MASS", "VIP"], "opens_wealth": [True, False, False, True]})
    rates = segment_rates(train, "WEALTH")
    assert rates == {"MASS": pytest.approx(1 / 3), "VIP": 1.0, "*": 0.5}
    scored = baseline_score(pd.DataFrame({"aum_tier_code": ["VIP", "PRIVATE"]}), rates)
    assert scored.tolist() == [1.0, 0.5]  # a tier unseen in training gets the overall rate


def test_the_model_beats_the_most_popular_baseline_where_openers_suffice(trained: tuple[Path, Path]) -> None:
    artifact = latest_propensity(trained[1])
    assert artifact is not None
    families = {e["family"]: e for e in artifact.meta["families"]}
    assert set(families) == set(FAMILIES)
    for code in ("TERM_DEPOSIT", "WEALTH", "CREDIT_CARD", "CONSUMER_LOAN"):
        e = families[code]
        assert e["modelled"], code
        assert e["model_auc"] > e["baseline_auc"] + 0.05, code
        assert e["model_lift"] > e["baseline_lift"], code
    assert not families["MORTGAGE"]["modelled"] and "nbp_min_openers" in families["MORTGAGE"]["note"]
    assert set(artifact.boosters) == {"TERM_DEPOSIT", "WEALTH", "CREDIT_CARD", "CONSUMER_LOAN"}
    top1 = artifact.meta["top1"]
    assert top1["model"] > top1["baseline"] and top1["customers"] > 0


def test_write_back_one_row_per_customer_and_family_and_one_best_product(trained: tuple[Path, Path],
                                                                         tmp_path: Path) -> None:
    warehouse = _copy(trained, tmp_path)
    artifact = latest_propensity(trained[1])
    assert artifact is not None
    con = duckdb.connect(str(warehouse))
    try:
        report = score_propensity(con, artifact)
        score_propensity(con, artifact)  # scoring the month again replaces its rows
        total, customers, months = con.execute("select count(*), count(distinct party_id), "
                                               "count(distinct month_start) from scoring.next_best_product_scores"
                                               ).fetchone()
        assert (total, customers, months) == (1500 * len(FAMILIES), 1500, 1)
        assert f"{report.month:%Y-%m}" == "2025-08"
        # exactly one rank-1 family per customer holding fewer than every family; never a held family
        bad = con.execute("""select party_id from scoring.next_best_product_scores group by party_id
            having count(*) filter (where family_rank = 1) <> (count(*) filter (where not is_held) > 0)::int"""
                          ).fetchall()
        assert not bad
        assert not con.execute("select count(*) from scoring.next_best_product_scores "
                               "where is_held and family_rank is not null").fetchone()[0]
        # the best family has the highest propensity among those not held
        worse = con.execute("""select count(*) from scoring.next_best_product_scores as b
            join scoring.next_best_product_scores as o on o.party_id = b.party_id and not o.is_held
            where b.family_rank = 1 and o.propensity > b.propensity""").fetchone()[0]
        assert worse == 0
        p, kind = con.execute("select propensity, typeof(propensity) from scoring.next_best_product_scores "
                              "limit 1").fetchone()
        assert kind == "DECIMAL(9,6)" and isinstance(p, Decimal) and Decimal(0) <= p <= Decimal(1)
        reasons = {r for (r,) in con.execute("select reason_1 from scoring.next_best_product_scores "
                                             "where reason_1 is not null").fetchall()}
        assert reasons and reasons <= {*DRIVER_TEXT.values(), "同层级客户中开户较多"}
        mortgage = con.execute("select distinct reasons from scoring.next_best_product_scores "
                               "where product_family_code = 'MORTGAGE'").fetchall()
        assert mortgage == [("同层级客户中开户较多",)]
    finally:
        con.close()


def test_segments_written_per_customer_month_with_profiles_and_stability(trained: tuple[Path, Path],
                                                                        tmp_path: Path) -> None:
    warehouse = _copy(trained, tmp_path)
    artifact = latest_segments(trained[1])
    assert artifact is not None
    k = len(artifact.centroids)
    assert 3 <= k <= 8 and len(artifact.profiles) == k
    assert str(k) in {str(s) for s in artifact.meta["silhouettes"]}
    assert len({p["name"] for p in artifact.profiles}) == k and all("客群" in p["name"] for p in artifact.profiles)
    con = duckdb.connect(str(warehouse))
    try:
        score_segments(con, artifact)
        rows, keys, segments = con.execute("select count(*), count(distinct (month_start, party_id)), "
                                           "count(distinct segment_no) from scoring.customer_segments").fetchone()
        assert rows == keys == 1500 * 8 and segments <= k
        profiles = con.execute("select count(*) from scoring.segment_profiles where model_version = ?",
                               [artifact.version]).fetchone()[0]
        assert profiles == k
        stable = con.execute("select customers_both, share_kept, adjusted_rand_index "
                             "from scoring.segment_stability order by month_start").fetchall()
        assert len(stable) == 7
        for both, kept, ari in stable:
            assert both == 1500 and Decimal(0) <= kept <= Decimal(1) and Decimal(-1) <= ari <= Decimal(1)
        # the stability written is the one measured at training on the same months
        measured = [round(r["share_kept"], 6) for r in artifact.meta["stability"]]
        assert [float(kept) for _, kept, _ in stable] == pytest.approx(measured)
    finally:
        con.close()


def test_same_data_and_code_give_the_same_versions(trained: tuple[Path, Path], tmp_path: Path) -> None:
    again = train_marketing_from_warehouse(trained[0], tmp_path / "models")
    assert again.propensity is not None and again.segments is not None
    assert again.propensity.artifact.version == latest_propensity(trained[1]).version  # type: ignore[union-attr]
    assert again.segments.artifact.version == latest_segments(trained[1]).version  # type: ignore[union-attr]


def test_a_warehouse_without_the_propensity_tables_is_refused_and_nothing_written(tmp_path: Path) -> None:
    from support.churn_fixture import build_churn_warehouse

    warehouse = build_churn_warehouse(tmp_path / "wh.duckdb", customers=100)
    with pytest.raises(ModelError, match=r"seeds\.product_families is missing"):
        train_marketing_from_warehouse(warehouse, tmp_path / "models")
    assert not (tmp_path / "models").exists()


def test_crmwh_train_one_model_writes_it_and_the_marketing_card(trained: tuple[Path, Path], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from crmwh.cli import cli

    result = CliRunner().invoke(cli, ["train", "--model", "propensity", "--warehouse", str(trained[0]),
                                      "--models", str(tmp_path / "m"), "--marketing-card", str(tmp_path / "card.md"),
                                      "--card", str(tmp_path / "churn.md"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m" / "propensity" / "LATEST").exists()
    assert not (tmp_path / "m" / "segments").exists() and not (tmp_path / "churn.md").exists()
    card = (tmp_path / "card.md").read_text(encoding="utf-8")
    version = (tmp_path / "m" / "propensity" / "LATEST").read_text(encoding="utf-8").strip()
    assert f"`{version}`" in card and "最受欢迎产品" in card and "住房贷款 MORTGAGE" in card
    bad = CliRunner().invoke(cli, ["train", "--model", "uplift", "--warehouse", str(trained[0])])
    assert bad.exit_code == 2 and "uplift" in bad.output
    not_a_manifest = tmp_path / "manifest.json"
    not_a_manifest.write_text('{"truth": {}}', encoding="utf-8")
    bad = CliRunner().invoke(cli, ["train", "--model", "propensity", "--warehouse", str(trained[0]), "--models",
                                   str(tmp_path / "m2"), "--campaign-truth", str(not_a_manifest)])
    assert bad.exit_code == 2 and "truth.campaigns" in bad.output and not (tmp_path / "m2").exists()


def test_a_build_scores_the_marketing_models_or_says_why_not(trained: tuple[Path, Path], tmp_path: Path) -> None:
    from crmwh.build import score_with_marketing_models

    warehouse = _copy(trained, tmp_path)
    assert score_with_marketing_models(warehouse, tmp_path / "none") == [
        f"no propensity model under {tmp_path / 'none'}: not scored (run `crmwh train`)",
        f"no segmentation model under {tmp_path / 'none'}: not scored (run `crmwh train`)"]
    messages = score_with_marketing_models(warehouse, trained[1])
    assert messages[0].startswith("next best product for 1,500 customers in 2025-08")
    assert messages[1].startswith("segments of 12,000 customer-months")
