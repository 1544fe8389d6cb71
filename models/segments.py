"""Behavioural segmentation (客户行为分群): k-means on standardised behavioural features of personal customers (AUM,
balance mix, credit, products, channels, transaction activity, contribution), fitted on the training months (the
churn model's split). The number of segments is the one between parameters ``segment_min_clusters`` and
``segment_max_clusters`` with the best silhouette on a sample of the training rows. Each segment is profiled and
named in Chinese from its profile. The scaling and the centroids are fixed at training and carried forward: every
month is assigned to the nearest centroid, so a customer changes segment only when their behaviour does; the
stability is measured as the share of customers keeping their segment from one month to the next and the adjusted
Rand index between the two months' assignments."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score

from models.artifacts import data_hash
from models.churn import split_months
from models.data import complete_months, read_parameters
from models.errors import ModelError
from models.marketing_artifacts import SegmentArtifact, marketing_code_hash
from models.marketing_data import load_marketing_frame, numeric, read_families

SAMPLE = 4000  # rows of the training months the silhouette is measured on
SEED = 7
MIN_CUSTOMERS = 50
# (feature, how it is derived from the frame), all standardised before clustering
FEATURES = ("log_aum", "deposit_share", "wealth_share", "log_loan", "log_card", "products_held", "digital_share",
            "counter_share", "log_transactions", "contribution")
# feature -> (name of a segment well above the average, name of one well below); None: not a distinction
TRAITS = {
    "log_aum": ("高资产", "小额资产"),
    "wealth_share": ("理财偏好", None),
    "deposit_share": ("存款为主", None),
    "log_loan": ("信贷", None),
    "log_card": ("信用卡活跃", None),
    "products_held": ("多产品", "单一产品"),
    "digital_share": ("线上活跃", "线下为主"),
    "counter_share": ("网点偏好", None),
    "log_transactions": ("交易活跃", "低活跃"),
    "contribution": ("高贡献", "低贡献"),
}
TRAIT_MIN_Z = 0.4  # a centroid this many standard deviations from the mean shows the trait


def behaviour(frame: pd.DataFrame) -> pd.DataFrame:
    """The behavioural features of each row: signed logs of money (heavy tails), shares, counts."""
    txn = numeric(frame, "transactions")
    with np.errstate(divide="ignore", invalid="ignore"):
        digital = np.where(txn > 0, numeric(frame, "digital_transactions") / txn, 0.0)
        counter = np.where(txn > 0, numeric(frame, "counter_transactions") / txn, 0.0)
    contribution = numeric(frame, "net_contribution")
    out = pd.DataFrame({
        "log_aum": np.log1p(np.clip(numeric(frame, "aum_cny"), 0, None)),
        "deposit_share": numeric(frame, "deposit_share"),
        "wealth_share": numeric(frame, "wealth_share"),
        "log_loan": np.log1p(np.clip(numeric(frame, "loan_adb_cny"), 0, None)),
        "log_card": np.log1p(np.clip(numeric(frame, "card_adb_cny"), 0, None)),
        "products_held": numeric(frame, "products_held"),
        "digital_share": np.clip(digital, 0, 1),
        "counter_share": np.clip(counter, 0, 1),
        "log_transactions": np.log1p(np.clip(txn, 0, None)),
        "contribution": np.sign(contribution) * np.log1p(np.abs(contribution)),
    }, index=frame.index)
    return out[list(FEATURES)].fillna(0.0)


def assign(artifact: SegmentArtifact, frame: pd.DataFrame) -> np.ndarray:
    """Segment number (1 …) of each row: the nearest centroid of the training, in the training's scaling."""
    z = (behaviour(frame).to_numpy(dtype=float) - np.asarray(artifact.mean)) / np.asarray(artifact.scale)
    centroids = np.asarray(artifact.centroids)
    # squared distances as |z|^2 - 2 z.c + |c|^2: no rows x segments x features array (memory at a large bank)
    distance = (z**2).sum(axis=1)[:, None] - 2.0 * z @ centroids.T + (centroids**2).sum(axis=1)[None, :]
    return np.argmin(distance, axis=1) + 1


def stability(frame: pd.DataFrame, segment: np.ndarray) -> list[dict[str, Any]]:
    """Per month after the first: customers assigned both then and the month before, the share keeping their
    segment, and the adjusted Rand index between the two months' assignments of those customers."""
    s = pd.DataFrame({"month_start": frame["month_start"].to_numpy(), "party_id": frame["party_id"].to_numpy(),
                      "segment": segment})
    months = sorted(s["month_start"].unique())
    rows = []
    for before, month in itertools.pairwise(months):
        both = s[s["month_start"] == before].merge(s[s["month_start"] == month], on="party_id",
                                                   suffixes=("_before", "_now"))
        if both.empty:
            continue
        a, b = both["segment_before"].to_numpy(), both["segment_now"].to_numpy()
        rows.append({"month": pd.Timestamp(month).strftime("%Y-%m"),
                     "previous_month": pd.Timestamp(before).strftime("%Y-%m"), "customers": len(both),
                     "share_kept": float((a == b).mean()), "adjusted_rand_index": float(adjusted_rand_score(a, b))})
    return rows


def profile(frame: pd.DataFrame, segment: np.ndarray, k: int) -> list[dict[str, Any]]:
    """Size, AUM, contribution, products and channels of each segment in ``frame`` (plain averages)."""
    txn = numeric(frame, "transactions")
    rows = []
    for no in range(1, k + 1):
        m = segment == no
        t = txn[m].sum()
        rows.append({
            "segment_no": no, "customers": int(m.sum()), "share": float(m.mean()),
            "aum_cny": float(np.mean(numeric(frame, "aum_cny")[m])) if m.any() else 0.0,
            "net_contribution": float(np.mean(numeric(frame, "net_contribution")[m])) if m.any() else 0.0,
            "products_held": float(np.mean(numeric(frame, "products_held")[m])) if m.any() else 0.0,
            "wealth_share": float(np.mean(numeric(frame, "wealth_share")[m])) if m.any() else 0.0,
            "loan_share": float(np.mean(numeric(frame, "loan_adb_cny")[m] > 0)) if m.any() else 0.0,
            "transactions": float(np.mean(txn[m])) if m.any() else 0.0,
            "digital_share": float(numeric(frame, "digital_transactions")[m].sum() / t) if t else 0.0,
            "counter_share": float(numeric(frame, "counter_transactions")[m].sum() / t) if t else 0.0,
        })
    return rows


def segment_name(z_centroid: dict[str, float], taken: set[str]) -> str:
    """A Chinese name from the centroid's two strongest traits (standard deviations from the mean)."""
    traits = []
    for feature, z in sorted(z_centroid.items(), key=lambda kv: -abs(kv[1])):
        high, low = TRAITS[feature]
        label = high if z >= TRAIT_MIN_Z else low if z <= -TRAIT_MIN_Z else None
        if label and label not in traits:
            traits.append(label)
        if len(traits) == 2:
            break
    name = ("·".join(traits) if traits else "大众均衡") + "客群"
    suffix = 2
    base = name
    while name in taken:
        name = f"{base}{suffix}"
        suffix += 1
    return name


def describe(p: dict[str, Any]) -> str:
    return (f"{p['customers']:,}人（占{p['share']:.0%}）；月日均资产{p['aum_cny'] / 10_000:,.1f}万元；"
            f"月均净贡献{p['net_contribution']:,.0f}元；持有产品{p['products_held']:.1f}个；"
            f"理财占资产{p['wealth_share']:.0%}；有贷款{p['loan_share']:.0%}；月均交易{p['transactions']:.1f}笔，"
            f"线上{p['digital_share']:.0%}、柜面{p['counter_share']:.0%}")


@dataclass
class SegmentReport:
    artifact: SegmentArtifact
    silhouettes: dict[int, float]
    stability: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        kept = np.mean([r["share_kept"] for r in self.stability]) if self.stability else float("nan")
        ari = np.mean([r["adjusted_rand_index"] for r in self.stability]) if self.stability else float("nan")
        return (f"segmentation {self.artifact.version}: {len(self.artifact.centroids)} segments "
                f"(silhouette {self.silhouettes[len(self.artifact.centroids)]:.3f}); month to month "
                f"{kept:.1%} keep their segment, adjusted Rand index {ari:.3f}")


def train_segments(con: duckdb.DuckDBPyConnection,
                   progress: Callable[[str], None] = lambda _s: None) -> SegmentReport:
    params = read_parameters(con)
    months = complete_months(con)
    if not months:
        raise ModelError("the warehouse holds no complete month: a model needs month-end data (load a full month)")
    progress("reading behavioural features")
    frame = load_marketing_frame(con, read_families(con), labelled_only=False)
    frame = frame[frame["month_start"].isin(months)].reset_index(drop=True)
    if len(months) >= 3:
        labelled = sorted(pd.Timestamp(m) for m in frame.loc[frame["is_label_known"], "month_start"].unique())
        train_months = split_months(labelled).train if len(labelled) >= 3 else months[:1]
    else:
        train_months = months[:1]
    train = frame[frame["month_start"].isin(train_months)]
    lo, hi = int(params["segment_min_clusters"]), int(params["segment_max_clusters"])
    if len(train) < max(MIN_CUSTOMERS, hi):
        raise ModelError(f"too few customers to segment: {len(train)} customer-months in the training months, at "
                         f"least {max(MIN_CUSTOMERS, hi)} needed")
    x = behaviour(train).to_numpy(dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = (x - mean) / scale
    rng = np.random.default_rng(SEED)
    sample = z[rng.choice(len(z), size=min(SAMPLE, len(z)), replace=False)]
    progress("choosing the number of segments")
    silhouettes: dict[int, float] = {}
    fitted: dict[int, KMeans] = {}
    for k in range(lo, hi + 1):
        km = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit(z)
        fitted[k] = km
        silhouettes[k] = float(silhouette_score(sample, km.predict(sample), random_state=SEED))
    best = max(silhouettes, key=lambda k: (silhouettes[k], -k))
    centroids = fitted[best].cluster_centers_
    # number the segments by their mean AUM, highest first, so the numbers mean something and stay put
    order = np.argsort(-centroids[:, FEATURES.index("log_aum")], kind="stable")
    centroids = centroids[order]
    draft = SegmentArtifact(version="", trained_at="", features=list(FEATURES), mean=mean.tolist(),
                            scale=scale.tolist(), centroids=centroids.tolist(), profiles=[], meta={})
    profiles = profile(train, assign(draft, train), best)
    taken: set[str] = set()
    for p, c in zip(profiles, centroids, strict=True):
        p["name"] = segment_name(dict(zip(FEATURES, c.tolist(), strict=True)), taken)
        taken.add(p["name"])
        p["description"] = describe(p)
    progress("measuring stability")
    seg_all = assign(draft, frame)
    stable = stability(frame, seg_all)
    version = data_hash(frame[["month_start", "party_id", *[c for c in frame.columns if c in (
        "aum_cny", "transactions", "net_contribution", "products_held")]]])[:8] + marketing_code_hash()[:8]
    trained_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    meta = {"train_months": [m.strftime("%Y-%m") for m in train_months], "silhouettes": silhouettes,
            "segments": best, "training_rows": len(train), "stability": stable}
    artifact = SegmentArtifact(version=version, trained_at=trained_at, features=list(FEATURES),
                               mean=mean.tolist(), scale=scale.tolist(), centroids=centroids.tolist(),
                               profiles=profiles, meta=meta)
    return SegmentReport(artifact=artifact, silhouettes=silhouettes, stability=stable)
