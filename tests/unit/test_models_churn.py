"""The churn model on a tiny hand-built warehouse: it learns a planted signal and beats its baselines, refuses bad
input with a clear message and writes nothing, versions its artifacts, and scores a month into the marts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pytest

from models import ModelError, latest_artifact, score_warehouse, train_churn_model
from models.metrics import psi, top_decile
from models.reasons import DRIVER_OF, DRIVER_TEXT, top_drivers
from models.scoring import deciles
from models.training import train_from_warehouse
from models.value import value_factor

from support.churn_fixture import build_churn_warehouse


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("churn")
    warehouse = build_churn_warehouse(folder / "wh.duckdb")
    train_from_warehouse(warehouse, folder / "models", progress=False)
    return warehouse, folder / "models"


def test_top_decile_lift_and_capture() -> None:
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1] * 2)
    score = np.array([9, 1, 1, 1, 1, 1, 1, 1, 1, 0, 8, 1, 1, 1, 1, 1, 1, 1, 1, 0], dtype=float)
    lift, capture = top_decile(y, score)  # top 2 of 20 hold 2 of the 4 leavers: rate 1.0 over 0.2
    assert capture == pytest.approx(0.5)
    assert lift == pytest.approx(5.0)


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=5000)
    assert psi(a, a) == pytest.approx(0.0, abs=1e-9)
    assert psi(a, a + 2) > 1.0


def test_value_factor_equals_the_discounted_survival_sum() -> None:
    retention = np.array([0.9, 1.0])
    expected = [sum((r / 1.12 ** (1 / 12)) ** k for k in range(1, 37)) for r in retention]
    assert value_factor(retention, 36, 0.12) == pytest.approx(expected)


def test_deciles_are_equal_counts_with_one_the_riskiest() -> None:
    d = deciles(np.linspace(0, 1, 100))
    assert d[-1] == 1 and d[0] == 10
    assert np.bincount(d)[1:].tolist() == [10] * 10


def test_top_drivers_sum_features_into_groups_and_skip_negative_ones() -> None:
    features = ["is_salary_stopped", "salary_credits", "maturing_deposits_3m", "aum_cny"]
    contrib = np.array([[0.4, 0.3, 0.5, -0.2, 0.0]])  # salary 0.7, deposit 0.5, aum -0.2, bias last
    assert top_drivers(contrib, features) == [["salary", "deposit_maturing"]]
    assert set(DRIVER_OF.values()) == set(DRIVER_TEXT)


def test_model_beats_its_baselines_on_the_planted_signal(trained: tuple[Path, Path]) -> None:
    artifact = latest_artifact(trained[1])
    assert artifact is not None
    evaluations = {e["name"]: e for e in artifact.meta["evaluations"]}
    model = evaluations.pop("梯度提升 gradient boosting (calibrated)")
    for name, baseline in evaluations.items():
        if not name.startswith("逻辑回归"):  # the planted signal is linear: logistic regression may tie
            assert model["auc"] > baseline["auc"], name
    assert model["auc"] > 0.7
    assert model["calibration_error"] < 0.05
    assert artifact.meta["driver_counts_leavers"].get("salary", 0) > 0


def test_same_data_and_code_give_the_same_version(trained: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, models = trained
    again = train_from_warehouse(warehouse, tmp_path / "models", progress=False)
    assert again.artifact.version == latest_artifact(models).version  # type: ignore[union-attr]


def test_scoring_writes_scores_reasons_and_value_for_the_latest_month(trained: tuple[Path, Path],
                                                                      tmp_path: Path) -> None:
    warehouse = tmp_path / "wh.duckdb"
    warehouse.write_bytes(trained[0].read_bytes())
    artifact = latest_artifact(trained[1])
    assert artifact is not None
    con = duckdb.connect(str(warehouse))
    try:
        report = score_warehouse(con, artifact)
        score_warehouse(con, artifact)  # scoring the same month again replaces its rows
        rows = con.execute("select count(*), count(distinct party_id), min(risk_decile), max(risk_decile), "
                           "max(month_start) from scoring.churn_scores").fetchone()
        assert rows[:4] == (1500, 1500, 1, 10)
        assert str(rows[4]) == "2025-08-01" == f"{report.month:%Y-%m-%d}"
        reasons = con.execute("select reason_1 from scoring.churn_scores where risk_decile = 1").fetchall()
        assert all(r[0] in DRIVER_TEXT.values() for r in reasons)
        value = con.execute("""select lifetime_value, monthly_economic_profit, typeof(lifetime_value)
            from scoring.value_forecasts where party_id = 'P00001'""").fetchone()
        assert value[2] == "DECIMAL(18,2)" and isinstance(value[0], Decimal)
        assert value[0] <= value[1] * 36  # retention below one and discounting only shrink it
    finally:
        con.close()


def test_too_few_leavers_is_refused_and_writes_no_model(tmp_path: Path) -> None:
    warehouse = build_churn_warehouse(tmp_path / "wh.duckdb", customers=200, leave_rate=0.005)
    with pytest.raises(ModelError, match="too few leavers"):
        train_from_warehouse(warehouse, tmp_path / "models", progress=False)
    assert not (tmp_path / "models").exists()


def test_a_warehouse_without_a_complete_month_is_refused(tmp_path: Path) -> None:
    warehouse = build_churn_warehouse(tmp_path / "wh.duckdb", customers=50, complete=False)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        with pytest.raises(ModelError, match="no complete month"):
            train_churn_model(con)
    finally:
        con.close()


def test_crmwh_train_refuses_too_few_leavers_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from crmwh.cli import cli

    warehouse = build_churn_warehouse(tmp_path / "wh.duckdb", customers=200, leave_rate=0.005)
    result = CliRunner().invoke(cli, ["train", "--warehouse", str(warehouse), "--models", str(tmp_path / "m"),
                                      "--card", str(tmp_path / "card.md"), "--quiet"])
    assert result.exit_code == 2, result.output
    assert "too few leavers" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "m").exists() and not (tmp_path / "card.md").exists()


def test_crmwh_train_writes_the_model_and_the_card(trained: tuple[Path, Path], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from crmwh.cli import cli

    result = CliRunner().invoke(cli, ["train", "--model", "churn", "--warehouse", str(trained[0]),
                                      "--models", str(tmp_path / "m"),
                                      "--card", str(tmp_path / "card.md"), "--quiet"])
    assert result.exit_code == 0, result.output
    card = (tmp_path / "card.md").read_text(encoding="utf-8")
    version = (tmp_path / "m" / "LATEST").read_text(encoding="utf-8").strip()
    assert f"`{version}`" in card
    for name in ("梯度提升", "逻辑回归", "RFM", "最近交易规则", "Lifetime value backtest"):
        assert name in card


def test_a_feature_drifting_beyond_the_threshold_is_reported_and_flagged(trained: tuple[Path, Path],
                                                                         tmp_path: Path) -> None:
    warehouse = tmp_path / "wh.duckdb"
    warehouse.write_bytes(trained[0].read_bytes())
    artifact = latest_artifact(trained[1])
    assert artifact is not None
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("update intermediate.int_churn_features_monthly set aum_cny = aum_cny * 1000 "
                    "where month_start = date '2025-08-01'")
        report = score_warehouse(con, artifact)
        flagged = con.execute("select feature from scoring.feature_drift where is_drifted").fetchall()
    finally:
        con.close()
    assert [f for f, _ in report.drifted] == ["aum_cny"] == [f for (f,) in flagged]
    assert "WARNING feature drift" in report.summary()


def test_a_build_without_a_complete_month_publishes_and_says_why_it_scored_nothing(trained: tuple[Path, Path],
                                                                                  tmp_path: Path) -> None:
    from crmwh.build import score_with_latest_model

    warehouse = build_churn_warehouse(tmp_path / "wh.duckdb", customers=50, complete=False)
    message = score_with_latest_model(warehouse, trained[1])
    assert message is not None and message.startswith("scores not written") and "complete month" in message
    assert score_with_latest_model(warehouse, tmp_path / "no-models") == (
        f"no churn model under {tmp_path / 'no-models'}: scores not written (run `crmwh train`)")


def test_value_basis_pools_the_lumpy_default_losses_at_the_portfolio_rate(tmp_path: Path) -> None:
    """A customer's own stage-3 provision charge (a default) is replaced by the portfolio's average per customer-month:
    B's 1,200.00 default loss in one month is not projected every month, and A, who had none, carries its share."""
    from models.value import VALUE_BASIS_SQL

    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    try:
        con.execute("""create schema marts; create table marts.fct_contribution_monthly (month_start date,
            party_id varchar, customer_type_code varchar, economic_profit decimal(18, 2),
            provision_charge decimal(18, 2))""")
        rows = [(f"2025-{m:02d}-01", p, "P", Decimal("100.00"), Decimal("0.00")) for m in range(1, 13) for p in "AB"]
        rows[-1] = ("2025-12-01", "B", "P", Decimal("-1100.00"), Decimal("1200.00"))  # B defaults in December
        rows.append(("2025-12-01", "C", "C", Decimal("-5000.00"), Decimal("5000.00")))  # a company: not pooled
        rows.append(("2024-12-01", "A", "P", Decimal("-9000.00"), Decimal("9000.00")))  # before the 12 months
        con.executemany("insert into marts.fct_contribution_monthly values (?, ?, ?, ?, ?)", rows)
        basis = dict(con.execute(VALUE_BASIS_SQL, ["2025-12-01", "2025-12-01"]).fetchall())
    finally:
        con.close()
    # 1,200.00 over 24 customer-months is 50.00 a month; both earned 100.00 a month before provisions
    assert basis == {"A": Decimal("50.00"), "B": Decimal("50.00")}
