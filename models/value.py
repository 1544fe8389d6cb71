"""Customer lifetime value: the expected economic profit of the coming ``ltv_horizon_months`` months, each month's
profit weighted by the probability the customer is still with the bank (from the churn model) and discounted at the
hurdle rate (the return the bank requires on its capital). Money stays DECIMAL: the retention-and-discount factor is
a dimensionless weight, multiplied into the decimal monthly profit in the warehouse."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


def monthly_retention(churn_probability: np.ndarray, label_horizon_months: int) -> np.ndarray:
    """The constant monthly staying probability that compounds to the model's probability over its horizon."""
    p = np.clip(churn_probability, 0.0, 0.999999)
    return (1.0 - p) ** (1.0 / label_horizon_months)


def value_factor(retention: np.ndarray, months: int, annual_rate: float) -> np.ndarray:
    """Σ_{k=1..months} (retention / discount)^k: months of profit the customer is expected to be worth today."""
    q = retention / (1.0 + annual_rate) ** (1.0 / 12.0)
    return np.where(np.isclose(q, 1.0), float(months), q * (1.0 - q**months) / np.where(q == 1.0, 1.0, 1.0 - q))


def expected_months(retention: np.ndarray, months: int) -> np.ndarray:
    """Expected months still a customer within the next ``months`` (no discounting): the tenure the backtest uses."""
    return value_factor(retention, months, 0.0)


BACKTEST_MONTHS = 6


def backtest(con: duckdb.DuckDBPyConnection, month: pd.Timestamp, party_ids: pd.Series,
             monthly_profit: np.ndarray, churn_probability: np.ndarray, label_horizon_months: int) -> dict[str, Any]:
    """The forecast made at ``month`` against the economic profit realised in the months after it (up to
    BACKTEST_MONTHS, as many as are complete), beside the naive forecast that keeps every customer: the last twelve
    months' average monthly profit x the months. Undiscounted, so both compare with what was booked."""
    import pandas as pd

    after = [r[0] for r in con.execute(
        "select month_start from intermediate.int_month_watermarks where is_complete and month_start > ? "
        "order by month_start limit ?", [month.date(), BACKTEST_MONTHS]).fetchall()]
    if not after:
        return {}
    realised = con.execute(
        "select party_id, sum(economic_profit) as ep from marts.fct_contribution_monthly "
        "where month_start between ? and ? and party_id is not null group by party_id",
        [after[0], after[-1]]).df()
    frame = pd.DataFrame({"party_id": party_ids.to_numpy(), "monthly": monthly_profit}).merge(
        realised, on="party_id", how="left")
    actual = frame["ep"].fillna(0).astype(float).to_numpy()
    horizon = len(after)
    model = frame["monthly"].to_numpy() * expected_months(monthly_retention(churn_probability,
                                                                            label_horizon_months), horizon)
    naive = frame["monthly"].to_numpy() * horizon
    rows = [{"name": name, "forecast": float(f.sum()), "mae": float(np.mean(np.abs(f - actual)))}
            for name, f in (("模型 churn-adjusted (retention from the churn model)", model),
                            ("朴素 naive (last 12 months x months)", naive))]
    return {"month": f"{month:%Y-%m}", "months": horizon, "customers": len(frame), "realised": float(actual.sum()),
            "rows": rows}
