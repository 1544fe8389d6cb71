"""Next-best-product propensity (下一个最佳产品): for each personal customer at month end T and each marketed product
family (seed product_families), the probability of opening an account or card of the family within
``nbp_horizon_months`` after T (labels: ``int_nbp_labels_monthly``). One LightGBM classifier per family on the
point-in-time features (the churn features, the balance mix, age, the holdings of every family), the same time-based
split as the churn model (earliest labelled months train, the next stops the boosting and calibrates, the last
validate), isotonic calibration; evaluated per family against the "most popular product" baseline: the family's
opening rate in the training months within the customer's AUM tier. A family with too few openers (parameter
``nbp_min_openers``) is not modelled: its propensity is that baseline rate."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score

from models.artifacts import data_hash
from models.churn import LGB_PARAMS, Split, split_months
from models.data import CATEGORICAL, complete_months, model_matrix, read_parameters
from models.errors import ModelError
from models.marketing_artifacts import PropensityArtifact, marketing_code_hash
from models.marketing_data import (
    Family,
    held_column,
    load_marketing_frame,
    marketing_features,
    opener_column,
    read_families,
)
from models.metrics import top_decile
from models.propensity_reasons import top_drivers

ROUNDS = 400
EARLY_STOP = 40
SEGMENT = "aum_tier_code"  # the customer segment of the popularity baseline
BASELINE = "最受欢迎产品 most popular (by AUM tier)"


@dataclass(frozen=True)
class FamilyEvaluation:
    family: str
    name_zh: str
    modelled: bool
    openers: dict[str, int]  # train / calibrate / validate
    rows: dict[str, int]
    model_auc: float | None = None
    model_lift: float | None = None
    baseline_auc: float | None = None
    baseline_lift: float | None = None
    model_auc_not_held: float | None = None  # among customers not holding the family at T (whom a list targets)
    baseline_auc_not_held: float | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class PropensityReport:
    artifact: PropensityArtifact
    split: Split
    families: list[FamilyEvaluation]
    top1: dict[str, float] = field(default_factory=dict)  # hit rate of the recommended family: model, baseline
    driver_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{e.family} AUC {e.model_auc:.3f} (most popular {e.baseline_auc:.3f})"
                 for e in self.families if e.modelled and e.model_auc is not None and e.baseline_auc is not None]
        skipped = [e.family for e in self.families if not e.modelled]
        return (f"propensity model {self.artifact.version}: " + "; ".join(parts or ["no family modelled"])
                + (f"; too few openers, popularity only: {', '.join(skipped)}" if skipped else ""))


def segment_rates(frame: pd.DataFrame, family: str) -> dict[str, float]:
    """Opening rate of ``family`` per segment in ``frame`` (the training months), '*' the overall rate."""
    y = frame[opener_column(family)].astype(float)
    rates = y.groupby(frame[SEGMENT].astype(str)).mean().to_dict()
    return {**{str(k): float(v) for k, v in rates.items()}, "*": float(y.mean()) if len(y) else 0.0}


def baseline_score(frame: pd.DataFrame, rates: dict[str, float]) -> np.ndarray:
    """The most-popular baseline: every customer gets the family's training opening rate of their segment."""
    return frame[SEGMENT].astype(str).map(rates).fillna(rates["*"]).to_numpy(dtype=float)


def _auc(y: np.ndarray, score: np.ndarray) -> float | None:
    return float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else None


def train_propensity_model(con: duckdb.DuckDBPyConnection,
                           progress: Callable[[str], None] = lambda _s: None,
                           labels_known_by: pd.Timestamp | None = None,
                           only: Collection[str] | None = None) -> PropensityReport:
    """Train one classifier per family with enough openers, evaluate each beside the popularity baseline.

    ``labels_known_by`` (a month start T) trains as the bank could have at T's month end: only on the months whose
    labels were known by then (month start + ``nbp_horizon_months`` <= T), the targeting backtest's point in time.
    ``only`` restricts the families trained (default every family of seed product_families)."""
    params = read_parameters(con)
    if not complete_months(con):
        raise ModelError("the warehouse holds no complete month: a model needs month-end data (load a full month)")
    every = read_families(con)
    families = [f for f in every if only is None or f.code in only]
    if not families:
        raise ModelError(f"no product family {', '.join(sorted(only or ()))} in seed product_families")
    progress("reading propensity features and labels")
    frame = load_marketing_frame(con, every, labelled_only=True)
    if labels_known_by is not None:
        last = labels_known_by - pd.DateOffset(months=int(params["nbp_horizon_months"]))
        frame = frame[frame["month_start"] <= last].reset_index(drop=True)
    if frame.empty:
        raise ModelError("no month with known next-best-product labels: the label horizon (parameter "
                         "nbp_horizon_months) needs that many complete months after a month end"
                         + (f" (before {labels_known_by:%Y-%m})" if labels_known_by is not None else ""))
    split = split_months(sorted(pd.Timestamp(m) for m in frame["month_start"].unique()))
    parts = {name: frame[frame["month_start"].isin(getattr(split, name))] for name in ("train", "calibrate",
                                                                                       "validate")}
    features = marketing_features(frame, every)
    categories = {c: sorted(set(frame[c].astype("string").fillna("无"))) for c in CATEGORICAL}
    x = {name: model_matrix(part, features, categories) for name, part in parts.items()}
    minimum = int(params["nbp_min_openers"])
    boosters: dict[str, lgb.Booster] = {}
    calibration: dict[str, tuple[list[float], list[float]]] = {}
    rates: dict[str, dict[str, float]] = {}
    evaluations: list[FamilyEvaluation] = []
    validate_scores: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # family -> (model, baseline) on validation
    driver_counts: dict[str, dict[str, int]] = {}
    for fam in families:
        progress(f"training {fam.code}")
        col = opener_column(fam.code)
        y = {name: part[col].to_numpy(dtype=int) for name, part in parts.items()}
        openers = {name: int(v.sum()) for name, v in y.items()}
        rows = {name: len(v) for name, v in y.items()}
        rates[fam.code] = segment_rates(parts["train"], fam.code)
        base_valid = baseline_score(parts["validate"], rates[fam.code])
        held = parts["validate"][held_column(fam.code)].to_numpy(dtype=bool)
        if min(openers["train"], openers["validate"]) < minimum or openers["calibrate"] == 0:
            evaluations.append(FamilyEvaluation(
                fam.code, fam.name_zh, False, openers, rows, baseline_auc=_auc(y["validate"], base_valid),
                note=f"fewer than {minimum} openers in the training or validation months (parameter "
                     "nbp_min_openers), or none in the calibration month: the popularity rate is its propensity"))
            validate_scores[fam.code] = (base_valid, base_valid)
            continue
        booster = lgb.train(
            LGB_PARAMS,
            lgb.Dataset(x["train"], y["train"], categorical_feature=list(CATEGORICAL)),
            num_boost_round=ROUNDS,
            valid_sets=[lgb.Dataset(x["calibrate"], y["calibrate"], categorical_feature=list(CATEGORICAL))],
            callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)])
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        iso.fit(booster.predict(x["calibrate"]), y["calibrate"])
        raw = booster.predict(x["validate"])
        p_valid = np.interp(raw, iso.X_thresholds_, iso.y_thresholds_)
        # ties of the calibrated steps are broken by the raw score (a ranking, not a new probability)
        rank_score = p_valid + raw * 1e-9
        boosters[fam.code] = booster
        calibration[fam.code] = ([float(v) for v in iso.X_thresholds_], [float(v) for v in iso.y_thresholds_])
        yv = y["validate"]
        m_lift, _ = top_decile(yv, rank_score)
        b_lift, _ = top_decile(yv, base_valid)
        evaluations.append(FamilyEvaluation(
            fam.code, fam.name_zh, True, openers, rows, model_auc=_auc(yv, rank_score), model_lift=m_lift,
            baseline_auc=_auc(yv, base_valid), baseline_lift=b_lift,
            model_auc_not_held=_auc(yv[~held], rank_score[~held]),
            baseline_auc_not_held=_auc(yv[~held], base_valid[~held])))
        validate_scores[fam.code] = (p_valid, base_valid)
        contrib = np.asarray(booster.predict(x["validate"][yv == 1], pred_contrib=True))
        counts: dict[str, int] = {}
        for row in top_drivers(contrib, features, fam.code):
            for d in row:
                counts[d] = counts.get(d, 0) + 1
        driver_counts[fam.code] = counts

    top1 = _top1_hit_rates(parts["validate"], families, validate_scores)
    version = data_hash(frame)[:8] + marketing_code_hash()[:8]
    trained_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    meta = {
        "split": {k: [m.strftime("%Y-%m") for m in getattr(split, k)] for k in ("train", "calibrate", "validate")},
        "label_horizon_months": int(params["nbp_horizon_months"]), "min_openers": minimum,
        "families": [e.as_dict() for e in evaluations], "family_names": {f.code: f.name_zh for f in families},
        "top1": top1, "driver_counts_openers": driver_counts, "lgb_params": LGB_PARAMS,
        "rounds": {fam: b.best_iteration for fam, b in boosters.items()},
    }
    artifact = PropensityArtifact(version=version, trained_at=trained_at, features=features, categories=categories,
                                  boosters=boosters, calibration=calibration, segment_rates=rates, meta=meta)
    return PropensityReport(artifact=artifact, split=split, families=evaluations, top1=top1,
                            driver_counts=driver_counts)


def _top1_hit_rates(validate: pd.DataFrame, families: list[Family],
                    scores: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """Of the validation customers who opened a family they did not hold, the share whose recommended family (the
    best-scored one not held) is one they opened: the model's propensities against the popularity rates."""
    held = np.column_stack([validate[held_column(f.code)].to_numpy(dtype=bool) for f in families])
    opened = np.column_stack([validate[opener_column(f.code)].to_numpy(dtype=bool) for f in families]) & ~held
    eligible = opened.any(axis=1) & ~held.all(axis=1)
    out: dict[str, float] = {"customers": float(eligible.sum())}
    for which, name in ((0, "model"), (1, "baseline")):
        s = np.column_stack([scores[f.code][which] for f in families])
        s = np.where(held, -np.inf, s)
        pick = np.argmax(s, axis=1)
        hit = opened[np.arange(len(pick)), pick]
        out[name] = float(hit[eligible].mean()) if eligible.any() else 0.0
    return out
