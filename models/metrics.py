"""How a churn score ranks and how well its probabilities are calibrated, on one evaluation set."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


@dataclass(frozen=True)
class Evaluation:
    name: str
    auc: float
    pr_auc: float
    top_decile_lift: float  # leaver rate in the top tenth / overall leaver rate
    top_decile_capture: float  # share of all leavers found in the top tenth
    brier: float | None  # only for scores that are probabilities
    calibration_error: float | None  # expected calibration error over ten equal-count bins

    def as_dict(self) -> dict[str, float | str | None]:
        return asdict(self)


def top_decile(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """Lift and capture of the tenth with the highest scores (ties broken by order: deterministic)."""
    n = len(y)
    k = max(1, int(np.ceil(n / 10)))
    top = np.argsort(-score, kind="stable")[:k]
    base = y.mean()
    leavers = y.sum()
    if base == 0:
        return 0.0, 0.0
    return float(y[top].mean() / base), float(y[top].sum() / leavers)


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean predicted, observed rate, count) per equal-count bin of the predictions."""
    order = np.argsort(p, kind="stable")
    table = []
    for part in np.array_split(order, bins):
        if len(part):
            table.append((float(p[part].mean()), float(y[part].mean()), len(part)))
    return table


def evaluate(name: str, y: np.ndarray, score: np.ndarray, is_probability: bool) -> Evaluation:
    y = y.astype(int)
    lift, capture = top_decile(y, score)
    brier = ece = None
    if is_probability:
        brier = float(brier_score_loss(y, score))
        table = calibration_table(y, score)
        ece = float(sum(abs(pred - obs) * n for pred, obs, n in table) / len(y))
    return Evaluation(name=name, auc=float(roc_auc_score(y, score)), pr_auc=float(average_precision_score(y, score)),
                      top_decile_lift=lift, top_decile_capture=capture, brier=brier, calibration_error=ece)


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """Population stability index of one feature: bins are the reference's deciles (missing values a bin)."""
    ref, cur = reference[~np.isnan(reference)], current[~np.isnan(current)]
    if len(ref) == 0 or len(cur) == 0:
        return 0.0
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1) / len(ref)
    c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1) / len(cur)
    r_miss, c_miss = np.isnan(reference).mean(), np.isnan(current).mean()
    r, c = np.append(r * (1 - r_miss), r_miss), np.append(c * (1 - c_miss), c_miss)
    eps = 1e-4
    r, c = np.clip(r, eps, None), np.clip(c, eps, None)
    return float(np.sum((c - r) * np.log(c / r)))
