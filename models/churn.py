"""Training the churn model: gradient boosting (LightGBM) on the point-in-time features, a time-based split (the
earliest labelled months train, the next one stops the boosting early and calibrates, the last ones validate),
isotonic calibration, and three baselines on the same validation months: a recency rule, an RFM score and a logistic
regression."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from models.artifacts import Artifact, code_hash, data_hash
from models.contributions import Contributions
from models.data import (
    CATEGORICAL,
    complete_months,
    feature_columns,
    load_frame,
    model_matrix,
    numeric_matrix,
    read_parameters,
)
from models.errors import ModelError
from models.metrics import Evaluation, calibration_table, evaluate
from models.reasons import top_drivers
from models.value import backtest

VALIDATION_MONTHS = 2
LGB_PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 40,
              "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
              "max_depth": 4, "verbose": -1, "seed": 7, "deterministic": True, "num_threads": 1, "metric": "auc"}
ROUNDS = 600  # at most: boosting stops once the calibration month's AUC has not improved for EARLY_STOP rounds
EARLY_STOP = 50


@dataclass
class Split:
    train: list[pd.Timestamp]
    calibrate: list[pd.Timestamp]
    validate: list[pd.Timestamp]


@dataclass
class TrainReport:
    artifact: Artifact
    split: Split
    evaluations: list[Evaluation]
    calibration: list[tuple[float, float, int]]
    leavers: dict[str, int]
    rows: dict[str, int]
    driver_counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        best = self.evaluations[0]
        return (f"churn model {self.artifact.version}: validation AUC {best.auc:.3f}, PR-AUC {best.pr_auc:.3f}, "
                f"top-decile lift {best.top_decile_lift:.2f} ({self.rows['validate']:,} customer-months, "
                f"{self.leavers['validate']:,} leavers)")


def split_months(months: list[pd.Timestamp]) -> Split:
    if len(months) < 3:
        raise ModelError(f"training needs at least 3 complete months with known churn labels, found {len(months)}: "
                         "load more months (a label needs the months of its horizon complete)")
    n_valid = VALIDATION_MONTHS if len(months) >= 5 else 1
    return Split(train=months[: -n_valid - 1], calibrate=[months[-n_valid - 1]], validate=months[-n_valid:])


def rfm_risk(frame: pd.DataFrame) -> np.ndarray:
    """Classic RFM: recency, frequency and monetary value in quintiles (5 best), summed; risk is the inverse."""
    def quintile(values: pd.Series, ascending: bool) -> np.ndarray:
        ranks = values.fillna(values.max() if ascending else 0).rank(method="first", ascending=ascending, pct=True)
        return np.ceil(ranks.to_numpy() * 5)

    r = quintile(-frame["days_since_last_transaction"].astype(float), True)
    f = quintile(frame["transactions"].astype(float), True)
    m = quintile(frame["aum_cny"].astype(float), True)
    return -(r + f + m)


def recency_risk(frame: pd.DataFrame) -> np.ndarray:
    """The rule an RM would use: the longer since the last transaction, the likelier to leave."""
    return frame["days_since_last_transaction"].astype(float).fillna(10_000).to_numpy()


def _logistic(features: list[str]) -> Callable[[pd.DataFrame, np.ndarray, pd.DataFrame], np.ndarray]:
    def fit_predict(x_train: pd.DataFrame, y: np.ndarray, x_eval: pd.DataFrame) -> np.ndarray:
        numeric = [f for f in features if f not in CATEGORICAL]

        def prepare(x: pd.DataFrame) -> np.ndarray:
            return x[numeric].to_numpy(dtype=float)

        model = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=500))
        enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        cats_train = enc.fit_transform(x_train[list(CATEGORICAL)].astype(str))
        model.fit(np.hstack([prepare(x_train), cats_train]), y)
        cats_eval = enc.transform(x_eval[list(CATEGORICAL)].astype(str))
        return model.predict_proba(np.hstack([prepare(x_eval), cats_eval]))[:, 1]

    return fit_predict


def train_churn_model(con: duckdb.DuckDBPyConnection, progress: Callable[[str], None] = lambda _s: None) -> TrainReport:
    """Train, calibrate and evaluate on the warehouse ``con``; return the report with the (unsaved) artifact.

    Refuses (ModelError, nothing written) a warehouse without complete labelled months or with too few leavers.
    """
    params = read_parameters(con)
    if not complete_months(con):
        raise ModelError("the warehouse holds no complete month: a model needs month-end data (load a full month)")
    progress("reading features and labels")
    frame = load_frame(con, labelled_only=True)
    months = sorted(frame["month_start"].unique())
    split = split_months([pd.Timestamp(m) for m in months])
    parts = {name: frame[frame["month_start"].isin(getattr(split, name))] for name in ("train", "calibrate",
                                                                                       "validate")}
    leavers = {name: int(part["is_leaver"].sum()) for name, part in parts.items()}
    rows = {name: len(part) for name, part in parts.items()}
    minimum = int(params["churn_min_leavers"])
    for name in ("train", "validate"):
        if leavers[name] < minimum:
            raise ModelError(f"too few leavers to train: {leavers[name]} in the {name} months "
                             f"({', '.join(m.strftime('%Y-%m') for m in getattr(split, name))}), at least {minimum} "
                             "needed (parameter churn_min_leavers); no model was written")
    features = feature_columns(frame)
    categories = {c: sorted(set(frame[c].astype("string").fillna("无"))) for c in CATEGORICAL}
    x = {name: model_matrix(part, features, categories) for name, part in parts.items()}
    y = {name: part["is_leaver"].to_numpy(dtype=int) for name, part in parts.items()}

    progress("training gradient boosting")
    booster = lgb.train(
        LGB_PARAMS, lgb.Dataset(x["train"], y["train"], categorical_feature=list(CATEGORICAL)),
        num_boost_round=ROUNDS,
        valid_sets=[lgb.Dataset(x["calibrate"], y["calibrate"], categorical_feature=list(CATEGORICAL))],
        callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)])
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    iso.fit(booster.predict(x["calibrate"]), y["calibrate"])
    raw_valid = booster.predict(x["validate"])
    p_valid = np.interp(raw_valid, iso.X_thresholds_, iso.y_thresholds_)

    progress("baselines")
    train_all = pd.concat([parts["train"], parts["calibrate"]])
    logit = _logistic(features)(model_matrix(train_all, features, categories),
                                train_all["is_leaver"].to_numpy(dtype=int), x["validate"])
    yv = y["validate"]
    evaluations = [
        evaluate("梯度提升 gradient boosting (calibrated)", yv, p_valid, True),
        evaluate("逻辑回归 logistic regression", yv, logit, True),
        evaluate("RFM 评分 RFM score", yv, rfm_risk(parts["validate"]), False),
        evaluate("最近交易规则 recency rule", yv, recency_risk(parts["validate"]), False),
    ]
    contrib = Contributions(booster).predict(numeric_matrix(x["validate"]))
    drivers = top_drivers(contrib, features)
    counts: dict[str, int] = {}
    for row, is_leaver in zip(drivers, yv, strict=True):
        if is_leaver:
            for d in row:
                counts[d] = counts.get(d, 0) + 1

    progress("lifetime value backtest")
    cohorts = parts["validate"][["month_start", "party_id", "economic_profit_monthly_12m"]].assign(
        churn_probability=p_valid)
    value_backtest = backtest(con, cohorts, int(params["churn_horizon_months"]))

    numeric = [f for f in features if f not in CATEGORICAL]
    sample = x["train"].sample(n=min(len(x["train"]), 5000), random_state=7)
    reference = {f: [float(v) if np.isfinite(v) else float("nan") for v in sample[f].to_numpy(dtype=float)]
                 for f in numeric}
    version = data_hash(frame)[:8] + code_hash()[:8]
    trained_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    meta = {
        "split": {k: [m.strftime("%Y-%m") for m in getattr(split, k)] for k in ("train", "calibrate", "validate")},
        "leavers": leavers, "rows": rows, "evaluations": [e.as_dict() for e in evaluations],
        "lgb_params": LGB_PARAMS, "rounds": booster.best_iteration, "driver_counts_leavers": counts,
        "label_horizon_months": int(params["churn_horizon_months"]), "value_backtest": value_backtest,
    }
    artifact = Artifact(version=version, trained_at=trained_at, booster=booster,
                        calibration_x=np.asarray(iso.X_thresholds_), calibration_y=np.asarray(iso.y_thresholds_),
                        features=features, categories=categories, reference=reference, meta=meta)
    return TrainReport(artifact=artifact, split=split, evaluations=evaluations,
                       calibration=calibration_table(yv, p_valid), leavers=leavers, rows=rows, driver_counts=counts)
