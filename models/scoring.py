"""Scoring a month with the latest trained model and writing the results back to the warehouse, one month replaced
at a time: churn scores (probability, decile, three reasons in Chinese, model version), lifetime value beside the
naive forecast, and the population stability of each feature against the training months. The tables live in schema
``scoring`` (created by dbt); ``marts.fct_churn_scores_monthly``, ``marts.fct_customer_value_forecast`` and
``marts.fct_churn_feature_drift`` are the views analysts and Superset read."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from models.artifacts import Artifact
from models.contributions import Contributions
from models.data import complete_months, load_frame, model_matrix, numeric_matrix, read_parameters
from models.errors import ModelError
from models.metrics import psi
from models.reasons import driver_groups, reason_columns, top_driver_codes
from models.value import VALUE_BASIS_SQL, monthly_retention, value_factor

# written here, created by dbt (macros/scoring_tables.sql), served by the marts views of marts/predictions
SCORES = "scoring.churn_scores"
VALUES = "scoring.value_forecasts"
DRIFT = "scoring.feature_drift"


@dataclass
class ScoreReport:
    month: pd.Timestamp
    customers: int
    version: str
    drifted: list[tuple[str, float]] = field(default_factory=list)

    def summary(self) -> str:
        drift = (f"; WARNING feature drift beyond the threshold: "
                 f"{', '.join(f'{f} (PSI {v:.2f})' for f, v in self.drifted)}" if self.drifted else "")
        return f"scored {self.customers:,} customers for {self.month:%Y-%m} with model {self.version}{drift}"


@dataclass
class Scored:
    frame: pd.DataFrame  # the features rows scored
    probability: np.ndarray
    driver_codes: np.ndarray  # rows x 3: index into groups, -1 for none (models.reasons.top_driver_codes)
    groups: list[str]

    @property
    def drivers(self) -> list[list[str]]:
        return [[self.groups[c] for c in row if c >= 0] for row in self.driver_codes.tolist()]


def score_frame(artifact: Artifact, frame: pd.DataFrame) -> Scored:
    """Calibrated probabilities (LightGBM's prediction) and the top three drivers of each row (the model's TreeSHAP
    contributions, computed by :mod:`models.contributions`: the same values as ``pred_contrib``, far cheaper)."""
    x = model_matrix(frame, artifact.features, artifact.categories)
    raw = artifact.booster.predict(x)
    contrib = Contributions(artifact.booster).predict(numeric_matrix(x))
    return Scored(frame, artifact.probability(raw), top_driver_codes(contrib, artifact.features),
                  driver_groups(artifact.features))


def deciles(probability: np.ndarray) -> np.ndarray:
    """1 = the tenth most likely to leave … 10 = the least (equal counts; ties by order)."""
    order = np.argsort(-probability, kind="stable")
    decile = np.empty(len(probability), dtype=int)
    decile[order] = np.arange(len(probability)) * 10 // max(len(probability), 1) + 1
    return decile


def score_warehouse(con: duckdb.DuckDBPyConnection, artifact: Artifact,
                    month: pd.Timestamp | None = None) -> ScoreReport:
    """Score ``month`` (default: the latest complete month) and replace its rows in the three tables."""
    params = read_parameters(con)
    months = complete_months(con)
    if not months:
        raise ModelError("the warehouse holds no complete month to score: scoring needs month-end data")
    month = month or months[-1]
    if month not in months:
        raise ModelError(f"{month:%Y-%m} is not a complete month of the warehouse: scoring needs month-end data")
    frame = load_frame(con, labelled_only=False, month=month)
    if frame.empty:
        raise ModelError(f"no customers to score in {month:%Y-%m}")
    scored = score_frame(artifact, frame)
    threshold = float(params["churn_feature_drift_psi"])
    drift_rows = []
    for f, ref in artifact.reference.items():
        value = psi(np.asarray(ref, dtype=float), model_matrix(frame, [f], {})[f].to_numpy(dtype=float))
        drift_rows.append((f, value))
    (reason_1, reason_2, reason_3), joined = reason_columns(scored.driver_codes, artifact.features)
    out = pd.DataFrame({
        "month_start": frame["month_start"].dt.date, "party_id": frame["party_id"],
        "churn_probability": np.round(scored.probability, 6),
        "risk_decile": deciles(scored.probability),
        "reason_1": reason_1, "reason_2": reason_2, "reason_3": reason_3, "reasons": joined,
    })
    horizon = int(params["ltv_horizon_months"])
    label_horizon = int(artifact.meta["label_horizon_months"])
    retention = monthly_retention(scored.probability, label_horizon)
    value = pd.DataFrame({
        "month_start": out["month_start"], "party_id": out["party_id"], "churn_probability": out["churn_probability"],
        "value_factor": np.round(value_factor(retention, horizon, float(params["hurdle_rate"])), 6),
        "expected_months": np.round(value_factor(retention, horizon, 0.0), 4),
    })
    # the naive forecast keeps every customer for the portfolio's expected tenure at its average leaving rate
    base_rate = float(np.mean(scored.probability))
    naive_months = min(float(horizon), label_horizon / max(base_rate, 1e-6))
    _write(con, out, value, drift_rows, threshold, artifact, month, horizon, naive_months)
    drifted = [(f, v) for f, v in drift_rows if v > threshold]
    return ScoreReport(month=month, customers=len(out), version=artifact.version, drifted=drifted)


def _write(con: duckdb.DuckDBPyConnection, scores: pd.DataFrame, value: pd.DataFrame,
           drift: list[tuple[str, float]], threshold: float, artifact: Artifact, month: pd.Timestamp,
           horizon: int, naive_months: float) -> None:
    missing = [t for t in (SCORES, VALUES, DRIFT) if not con.execute(
        "select count(*) from information_schema.tables where table_schema || '.' || table_name = ?",
        [t]).fetchall()[0][0]]
    if missing:
        raise ModelError(f"{', '.join(missing)} missing: build the warehouse with `crmwh build` (dbt creates them)")
    drift_frame = pd.DataFrame({"feature": [f for f, _ in drift], "psi": [round(v, 4) for _, v in drift]})
    con.register("_scores", scores)
    con.register("_value", value)
    con.register("_drift", drift_frame)
    try:
        con.execute("begin transaction")
        for table in (SCORES, VALUES, DRIFT):
            con.execute(f"delete from {table} where month_start = ?", [month.date()])
        con.execute(f"""insert into {SCORES} select month_start, party_id,
            cast(churn_probability as decimal(9, 6)), risk_decile, reason_1, reason_2, reason_3, reasons,
            ?, cast(? as timestamp) from _scores""", [artifact.version, artifact.trained_at[:19]])
        con.execute(f"""insert into {VALUES}
            select v.month_start, v.party_id, ep.monthly, ?,
                cast(v.expected_months as decimal(9, 4)),
                cast(coalesce(basis.monthly_profit, 0) * cast(v.value_factor as decimal(18, 6)) as decimal(18, 2)),
                cast(ep.monthly * cast(? as decimal(18, 6)) as decimal(18, 2)),
                cast(v.churn_probability as decimal(9, 6)), ?, cast(? as timestamp)
            from _value as v
            inner join (select party_id, economic_profit_monthly_12m as monthly
                        from intermediate.int_churn_features_monthly where month_start = ?) as ep
                on ep.party_id = v.party_id
            left join ({VALUE_BASIS_SQL}) as basis on basis.party_id = v.party_id""",
                    [horizon, round(naive_months, 6), artifact.version, artifact.trained_at[:19], month.date(),
                     month.date(), month.date()])
        con.execute(f"""insert into {DRIFT} select ?, feature, cast(psi as decimal(9, 4)),
            cast(? as decimal(9, 4)), psi > ?, ? from _drift""",
                    [month.date(), threshold, threshold, artifact.version])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        for name in ("_scores", "_value", "_drift"):
            con.unregister(name)


__all__ = ["ScoreReport", "score_warehouse"]
