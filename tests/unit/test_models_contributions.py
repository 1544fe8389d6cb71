"""The numpy TreeSHAP of models.contributions gives LightGBM's own ``pred_contrib`` values, and scoring with it writes
exactly the scores and reasons the row-by-row LightGBM path wrote."""

from __future__ import annotations

from pathlib import Path

import duckdb
import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models import latest_artifact, score_warehouse
from models.contributions import Contributions
from models.data import load_frame, model_matrix, numeric_matrix
from models.reasons import DRIVER_TEXT, reason_text, top_drivers
from models.training import train_from_warehouse

from support.churn_fixture import build_churn_warehouse


def _frame(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    a = rng.normal(size=n)
    b = rng.integers(0, 5, n).astype(float)  # many exact zeros: the zero-as-missing rule matters
    c = rng.exponential(size=n)
    a[rng.random(n) < 0.1] = np.nan
    c[rng.random(n) < 0.05] = np.nan
    cat = pd.Categorical(rng.choice(list("pqrst"), n), categories=list("pqrst"))
    y = ((np.nan_to_num(a) + b / 2 + (cat == "q") - np.nan_to_num(c) + rng.normal(size=n)) > 1).astype(int)
    return pd.DataFrame({"a": a, "b": b, "c": c, "cat": cat}), y


@pytest.mark.parametrize("zero_as_missing", [False, True])
def test_contributions_equal_lightgbms_pred_contrib(zero_as_missing: bool) -> None:
    rng = np.random.default_rng(5)
    x, y = _frame(rng, 4000)
    booster = lgb.train({"objective": "binary", "num_leaves": 15, "max_depth": 4, "min_data_in_leaf": 20,
                         "verbose": -1, "seed": 1, "zero_as_missing": zero_as_missing, "num_threads": 1},
                        lgb.Dataset(x, y, categorical_feature=["cat"]), num_boost_round=40)
    test, _ = _frame(np.random.default_rng(6), 3000)
    test.loc[:50, "cat"] = np.nan  # a category the model has never seen
    ours = Contributions(booster).predict(numeric_matrix(test))
    theirs = np.asarray(booster.predict(test, pred_contrib=True))
    assert ours.shape == theirs.shape
    assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    features = ["aum_cny", "transactions", "salary_credits", "worst_five_class_code"]  # any four driver features
    assert top_drivers(ours, features) == top_drivers(theirs, features)


def test_scoring_writes_what_lightgbms_row_by_row_contributions_give(tmp_path: Path) -> None:
    warehouse = build_churn_warehouse(tmp_path / "wh.duckdb")
    train_from_warehouse(warehouse, tmp_path / "models", progress=False)
    artifact = latest_artifact(tmp_path / "models")
    assert artifact is not None
    con = duckdb.connect(str(warehouse))
    try:
        report = score_warehouse(con, artifact)
        written = con.execute("""select party_id, churn_probability, reason_1, reason_2, reason_3, reasons
            from scoring.churn_scores order by party_id""").df()
        frame = load_frame(con, labelled_only=False, month=report.month)
    finally:
        con.close()
    # the way scoring worked before: LightGBM's pred_contrib, one list of drivers and one text per row
    x = model_matrix(frame, artifact.features, artifact.categories)
    drivers = top_drivers(np.asarray(artifact.booster.predict(x, pred_contrib=True)), artifact.features)
    padded = [[*(DRIVER_TEXT[d] for d in row), None, None, None][:3] for row in drivers]
    expected = pd.DataFrame({
        "party_id": frame["party_id"],
        "churn_probability": np.round(artifact.probability(artifact.booster.predict(x)), 6),
        "reason_1": [r[0] for r in padded], "reason_2": [r[1] for r in padded], "reason_3": [r[2] for r in padded],
        "reasons": [reason_text(d) for d in drivers],
    }).sort_values("party_id").reset_index(drop=True)
    assert len(written) == len(expected) == 1500
    assert written["churn_probability"].astype(float).tolist() == expected["churn_probability"].tolist()
    for column in ("party_id", "reason_1", "reason_2", "reason_3", "reasons"):
        assert written[column].tolist() == expected[column].tolist(), column
    assert written["reason_3"].notna().any()
