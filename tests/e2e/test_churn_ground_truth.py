"""The churn model against the generator's ground truth, on a bank generated with a seed the model was not developed
on: it beats every baseline, the reasons it gives for leavers name the generator's causes (recorded only in the
manifest, never in an extract) more often than chance, and `crmwh build` writes the scores back."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from crmwh.build import run_build
from crmwh.publish import resolve_served
from models import latest_artifact
from models.data import load_frame
from models.scoring import score_frame
from models.training import train_from_warehouse

from support import dbt_harness
from support.bank import crmwh

pytestmark = pytest.mark.slow

SEED = 977  # development used 20260101
# the driver group a generator cause shows up in, if the model sees it
CAUSE_DRIVER = {"rate_seeking": "deposit_maturing", "service_failure": "service", "rm_left": "rm_change",
                "competitor_salary": "salary"}
BIAS_TOLERANCE = 0.10  # of the gross realised profit (models.value.backtest); development banks: -7 % to +1 %


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("churn-truth")
    landing = folder / "landing"
    crmwh("generate", "--scale", "0.03", "--days", "365", "--start", "2025-01-01", "--seed", str(SEED),
          "--landing", str(landing), "--quiet")
    served = folder / "served" / "crmwh.duckdb"
    with dbt_harness.in_process_builds():
        assert run_build(landing, served, validate=False, progress=False).published
        report = train_from_warehouse(resolve_served(served), folder / "models", progress=False)
        # the next build scores the latest month with the model just trained
        build = run_build(landing, served, validate=False, progress=False, models=folder / "models")
    manifest = json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))
    return {"served": served, "models": folder / "models", "report": report, "build": build, "manifest": manifest}


def _is_logistic(name: str) -> bool:
    return "logistic" in name


def test_the_model_beats_every_baseline_on_an_unseen_seed(bank: dict[str, Any]) -> None:
    model, *baselines = bank["report"].evaluations
    assert bank["report"].leavers["validate"] >= 20
    for baseline in baselines:
        assert model.pr_auc > baseline.pr_auc, (model, baseline)
        if not _is_logistic(baseline.name):  # AUC against the logistic regression: the strict xfail below
            assert model.auc > baseline.auc, (model, baseline)


@pytest.mark.xfail(strict=True, reason=(
    "held-out seed: after the Spark-portable churn features (exact averages of two money features instead of DuckDB's "
    "DOUBLE avg(), a cent on tie rows) the calibrated boosting's AUC is 0.8328 against the logistic regression's "
    "0.8338 (PR-AUC 0.414 against 0.391 still better); recorded, not loosened"))
def test_the_model_beats_the_logistic_regression_on_auc_on_an_unseen_seed(bank: dict[str, Any]) -> None:
    model, *baselines = bank["report"].evaluations
    logistic = [b for b in baselines if _is_logistic(b.name)]
    assert logistic
    for baseline in logistic:
        assert model.auc > baseline.auc, (model, baseline)


def _leavers_with_drivers(bank: dict[str, Any]) -> pd.DataFrame:
    """The validation months' leavers with the drivers the model names and the generator's cause."""
    artifact = latest_artifact(bank["models"])
    assert artifact is not None
    causes = pd.DataFrame(bank["manifest"]["truth"]["churned"])[["cif_no", "cause"]]
    with duckdb.connect(str(resolve_served(bank["served"])), read_only=True) as con:
        frame = load_frame(con, labelled_only=True)
        cifs = con.execute("select party_id, survivor_cif_no as cif_no from intermediate.int_parties").df()
    validate = pd.to_datetime([f"{m}-01" for m in artifact.meta["split"]["validate"]])
    months = frame[frame["month_start"].isin(validate)].reset_index(drop=True)
    scored = score_frame(artifact, months)
    leavers = months.assign(drivers=scored.drivers).merge(cifs, on="party_id").merge(causes, on="cif_no")
    return leavers[leavers["is_leaver"]].reset_index(drop=True)


def _match(causes: np.ndarray, drivers: list[list[str]]) -> np.ndarray:
    return np.array([CAUSE_DRIVER[c] in d for c, d in zip(causes, drivers, strict=True)])


def test_reasons_for_leavers_name_the_generators_causes_more_often_than_chance(bank: dict[str, Any]) -> None:
    leavers = _leavers_with_drivers(bank)
    assert len(leavers) >= 30
    drivers, true_causes = list(leavers["drivers"]), leavers["cause"].to_numpy()
    rng = np.random.default_rng(0)
    chance = [_match(rng.permutation(true_causes), drivers).mean() for _ in range(200)]
    assert _match(true_causes, drivers).mean() > np.quantile(chance, 0.99), (
        _match(true_causes, drivers).mean(), np.mean(chance))


MIN_CAUSE_LEAVERS = 8  # a cause with fewer validation-month leavers than this is not tested on its own
SALARY_ON_HELD_OUT = pytest.mark.xfail(strict=True, reason=(
    "held-out seed 977, first run 2026-12-06: competitor_salary leavers are given 代发工资停发 less often (23.5 %, "
    "34 leavers) than leavers at large (34.4 %). On the development-seed banks it passes (scale 0.1: 55 % against "
    "18 % for the others). Not tuned on the held-out seed: a fix is developed on development seeds and this seed "
    "replaced by a fresh one."))


@pytest.mark.parametrize("cause", [
    "rate_seeking", "service_failure", "rm_left", pytest.param("competitor_salary", marks=SALARY_ON_HELD_OUT)])
def test_each_cause_is_named_for_its_own_leavers_more_often_than_chance(bank: dict[str, Any], cause: str) -> None:
    """The share of the cause's leavers whose reasons name its driver beats the same share under the causes shuffled
    among the leavers (95th percentile of 400 shuffles); every cause has enough leavers in this bank."""
    leavers = _leavers_with_drivers(bank)
    drivers, true_causes = list(leavers["drivers"]), leavers["cause"].to_numpy()
    mine = true_causes == cause
    assert mine.sum() >= MIN_CAUSE_LEAVERS, leavers["cause"].value_counts().to_dict()
    observed = np.mean([CAUSE_DRIVER[cause] in d for d, m in zip(drivers, mine, strict=True) if m])
    rng = np.random.default_rng(1)
    chance = []
    for _ in range(400):
        shuffled = rng.permutation(true_causes)
        chance.append(np.mean([CAUSE_DRIVER[cause] in d for d, c in zip(drivers, shuffled, strict=True) if c == cause]))
    assert observed > np.quantile(chance, 0.95), (observed, float(np.mean(chance)), int(mine.sum()))


def test_the_lifetime_value_forecast_beats_the_naive_forecast(bank: dict[str, Any]) -> None:
    backtest = bank["report"].artifact.meta["value_backtest"]
    model, naive = backtest["rows"]
    assert len(backtest["origins"]) == 2 and backtest["customers"] > 1000
    assert model["mae"] < naive["mae"], backtest


@pytest.mark.xfail(strict=True, reason=(
    "held-out seed 977, first run 2026-12-06: bias +34 % of the gross realised profit (naive +38 %). The bank's "
    "history holds one stage-3 provision release of 1.08 million CNY (March) that raises both forecasts; "
    "development-seed banks measured -7 % to +1 %. Not tuned on the held-out seed: see docs/models.md, limits."))
def test_the_lifetime_value_backtest_is_unbiased_within_tolerance(bank: dict[str, Any]) -> None:
    backtest = bank["report"].artifact.meta["value_backtest"]
    model = backtest["rows"][0]
    # total forecast less total realised within 10 % of the customers' gross realised profit, pooled over the origins
    assert abs(model["bias"]) <= BIAS_TOLERANCE, backtest


def test_the_build_writes_scores_and_value_for_the_latest_month(bank: dict[str, Any]) -> None:
    assert any(m.startswith("scored ") for m in bank["build"].messages), bank["build"].summary()
    with duckdb.connect(str(resolve_served(bank["served"])), read_only=True) as con:
        scores = con.execute("""select count(*), count(distinct model_version), min(risk_decile), max(risk_decile),
            count(*) filter (where reason_1 is null) from marts.fct_churn_scores_monthly""").fetchone()
        values = con.execute("select count(*), typeof(any_value(lifetime_value)) "
                             "from marts.fct_customer_value_forecast").fetchone()
        # everyone who has not left by the month end is scored (the label population)
        population = con.execute("""select count(*) from intermediate.int_churn_labels_monthly
            where month_start = (select max(month_start) from marts.fct_churn_scores_monthly)""").fetchone()
    assert scores[0] == population[0] == values[0] > 1000
    assert scores[1:4] == (1, 1, 10)
    assert values[1] == "DECIMAL(18,2)"


def test_the_churn_definition_finds_the_generators_leavers(bank: dict[str, Any]) -> None:
    """Most customers the generator made leave attrite by the warehouse's definition, in the month they left or the
    few after it (dormancy needs its silent months; the AUM rule its months below the line)."""
    churned = pd.DataFrame(bank["manifest"]["truth"]["churned"])
    churned["left"] = pd.to_datetime(churned["churn_date"]).dt.to_period("M").dt.to_timestamp()
    with duckdb.connect(str(resolve_served(bank["served"])), read_only=True) as con:
        events = con.execute("""select p.survivor_cif_no as cif_no, e.churn_month
            from intermediate.int_churn_events as e inner join intermediate.int_parties as p using (party_id)""").df()
        last = con.execute("select max(month_start) from intermediate.int_month_watermarks where is_complete"
                           ).fetchall()[0][0]
    # leavers whose departure the horizon can still confirm (the dormancy rule needs its silent months)
    churned = churned[churned["left"] <= pd.Timestamp(last) - pd.DateOffset(months=3)]
    found = churned.merge(events, on="cif_no", how="left")
    lag = (found["churn_month"].dt.year - found["left"].dt.year) * 12 + found["churn_month"].dt.month - found[
        "left"].dt.month
    assert len(found) >= 50
    assert found["churn_month"].notna().mean() >= 0.85
    assert lag.dropna().between(-3, 3).mean() >= 0.9  # the AUM rule may fire while the balance drains before
