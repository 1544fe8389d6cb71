"""Scoring with the latest marketing models and writing the results back, beside the churn scores
(:mod:`models.scoring`): the next-best-product propensities of the latest complete month (every family, its rank among
the families the customer does not hold, three reasons in Chinese), and the behavioural segment of every complete
month with the profiles and the month-to-month stability. The tables live in schema ``scoring`` (created by dbt,
``macros/marketing_scoring_tables.sql``); ``marts.fct_next_best_product_monthly``,
``marts.fct_customer_segments_monthly`` and ``marts.fct_segment_stability_monthly`` are the views readers use."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from models.data import complete_months, model_matrix
from models.errors import ModelError
from models.marketing_artifacts import PropensityArtifact, SegmentArtifact
from models.marketing_data import held_column, load_marketing_frame, read_families
from models.propensity import baseline_score
from models.propensity_reasons import DRIVER_TEXT, top_drivers
from models.segments import assign, stability

NBP = "scoring.next_best_product_scores"
SEGMENTS = "scoring.customer_segments"
PROFILES = "scoring.segment_profiles"
STABILITY = "scoring.segment_stability"
POPULAR_REASON = "同层级客户中开户较多"  # the reason of a family scored by the popularity rate


@dataclass(frozen=True)
class MarketingScoreReport:
    month: pd.Timestamp | None
    customers: int
    version: str
    kind: str

    def summary(self) -> str:
        if self.kind == "propensity":
            return (f"next best product for {self.customers:,} customers in {self.month:%Y-%m} with model "
                    f"{self.version}")
        return f"segments of {self.customers:,} customer-months with model {self.version}"


def _require_tables(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> None:
    missing = [t for t in tables if not con.execute(
        "select count(*) from information_schema.tables where table_schema || '.' || table_name = ?",
        [t]).fetchall()[0][0]]
    if missing:
        raise ModelError(f"{', '.join(missing)} missing: build the warehouse with `crmwh build` (dbt creates them)")


def _month(con: duckdb.DuckDBPyConnection, month: pd.Timestamp | None) -> pd.Timestamp:
    months = complete_months(con)
    if not months:
        raise ModelError("the warehouse holds no complete month to score: scoring needs month-end data")
    month = month or months[-1]
    if month not in months:
        raise ModelError(f"{month:%Y-%m} is not a complete month of the warehouse: scoring needs month-end data")
    return month


def propensities(artifact: PropensityArtifact, frame: pd.DataFrame) -> pd.DataFrame:
    """Long table: per row of ``frame`` and family, the propensity, whether held, the family's rank among those not
    held (1 = the best next product) and the reasons."""
    families = list(artifact.meta["family_names"])
    x = model_matrix(frame, artifact.features, artifact.categories)
    parts = []
    for fam in families:
        if fam in artifact.boosters:
            booster = artifact.boosters[fam]
            p = artifact.probability(fam, booster.predict(x))
            drivers = top_drivers(np.asarray(booster.predict(x, pred_contrib=True)), artifact.features, fam)
            texts = [[DRIVER_TEXT[d] for d in row] for row in drivers]
        else:
            p = baseline_score(frame, artifact.segment_rates[fam])
            texts = [[POPULAR_REASON]] * len(frame)
        parts.append(pd.DataFrame({
            "month_start": frame["month_start"].dt.date.to_numpy(), "party_id": frame["party_id"].to_numpy(),
            "product_family_code": fam, "propensity": np.round(p, 6),
            "is_held": frame[held_column(fam)].to_numpy(dtype=bool),
            "reason_1": [t[0] if len(t) > 0 else None for t in texts],
            "reason_2": [t[1] if len(t) > 1 else None for t in texts],
            "reason_3": [t[2] if len(t) > 2 else None for t in texts],
            "reasons": ["；".join(t) for t in texts],
        }))
    out = pd.concat(parts, ignore_index=True)
    eligible = out[~out["is_held"]].sort_values(["party_id", "propensity", "product_family_code"],
                                                ascending=[True, False, True], kind="stable")
    out["family_rank"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out.loc[eligible.index, "family_rank"] = eligible.groupby("party_id").cumcount().to_numpy() + 1
    return out


def score_propensity(con: duckdb.DuckDBPyConnection, artifact: PropensityArtifact,
                     month: pd.Timestamp | None = None) -> MarketingScoreReport:
    """Score ``month`` (default the latest complete one) and replace its rows of scoring.next_best_product_scores."""
    month = _month(con, month)
    _require_tables(con, (NBP,))
    families = read_families(con)
    known = {f.code for f in families}
    if set(artifact.meta["family_names"]) != known:
        raise ModelError("the product families (seed product_families) changed since the propensity model was "
                         "trained: run `crmwh train` again")
    frame = load_marketing_frame(con, families, labelled_only=False, month=month)
    if frame.empty:
        raise ModelError(f"no customers to score in {month:%Y-%m}")
    out = propensities(artifact, frame)
    con.register("_nbp", out)
    try:
        con.execute("begin transaction")
        con.execute(f"delete from {NBP} where month_start = ?", [month.date()])
        con.execute(f"""insert into {NBP} select month_start, party_id, product_family_code,
            cast(propensity as decimal(9, 6)), is_held, cast(family_rank as integer), reason_1, reason_2, reason_3,
            reasons, ?, cast(? as timestamp) from _nbp""", [artifact.version, artifact.trained_at[:19]])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("_nbp")
    return MarketingScoreReport(month, int(frame["party_id"].nunique()), artifact.version, "propensity")


def score_segments(con: duckdb.DuckDBPyConnection, artifact: SegmentArtifact) -> MarketingScoreReport:
    """Assign every complete month to the segments (centroids of the training carried forward) and replace the
    segments, the profiles of this model and the stability."""
    months = complete_months(con)
    if not months:
        raise ModelError("the warehouse holds no complete month to segment: segmentation needs month-end data")
    _require_tables(con, (SEGMENTS, PROFILES, STABILITY))
    frame = load_marketing_frame(con, read_families(con), labelled_only=False)
    frame = frame[frame["month_start"].isin(months)].reset_index(drop=True)
    segment = assign(artifact, frame)
    names = {p["segment_no"]: p["name"] for p in artifact.profiles}
    rows = pd.DataFrame({"month_start": frame["month_start"].dt.date.to_numpy(),
                         "party_id": frame["party_id"].to_numpy(), "segment_no": segment,
                         "segment_name": [names[s] for s in segment]})
    profiles = pd.DataFrame({"segment_no": [p["segment_no"] for p in artifact.profiles],
                             "segment_name": [p["name"] for p in artifact.profiles],
                             "description": [p["description"] for p in artifact.profiles],
                             "customers": [p["customers"] for p in artifact.profiles],
                             "share": [round(p["share"], 6) for p in artifact.profiles]})
    stable = pd.DataFrame(stability(frame, segment), columns=["month", "previous_month", "customers", "share_kept",
                                                              "adjusted_rand_index"])
    stable["month"] = pd.to_datetime(stable["month"]).dt.date
    stable["previous_month"] = pd.to_datetime(stable["previous_month"]).dt.date
    stable["share_kept"] = stable["share_kept"].round(6)
    stable["adjusted_rand_index"] = stable["adjusted_rand_index"].round(6)
    con.register("_segments", rows)
    con.register("_profiles", profiles)
    con.register("_stability", stable)
    try:
        con.execute("begin transaction")
        con.execute(f"delete from {SEGMENTS}")
        con.execute(f"insert into {SEGMENTS} select month_start, party_id, cast(segment_no as integer), "
                    f"segment_name, ?, cast(? as timestamp) from _segments",
                    [artifact.version, artifact.trained_at[:19]])
        con.execute(f"delete from {PROFILES} where model_version = ?", [artifact.version])
        con.execute(f"insert into {PROFILES} select ?, cast(segment_no as integer), segment_name, description, "
                    f"cast(customers as integer), cast(share as decimal(9, 6)) from _profiles", [artifact.version])
        con.execute(f"delete from {STABILITY}")
        con.execute(f"insert into {STABILITY} select month, previous_month, cast(customers as integer), "
                    f"cast(share_kept as decimal(9, 6)), cast(adjusted_rand_index as decimal(9, 6)), ? "
                    f"from _stability", [artifact.version])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        for name in ("_segments", "_profiles", "_stability"):
            con.unregister(name)
    return MarketingScoreReport(None, len(rows), artifact.version, "segments")


__all__ = ["MarketingScoreReport", "score_propensity", "score_segments"]
