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

# The monthly profit a lifetime value projects, per customer at month end T: the average monthly economic profit of
# the last twelve months with the customer's own stage-3 provision movements (the lifetime loss charged once when an
# exposure defaults, then released or used) replaced by the portfolio's average per customer-month. A default is a
# rare, lumpy event: a customer who defaulted last year would otherwise be projected to lose that much every month,
# and one whose loan is about to default is projected none of it; pooled, the same losses are spread as the expected
# cost they are. Summed over the portfolio and the twelve months it changes nothing; per customer it is the better
# forecast (see the backtest). Parameters: the month end T, twice. DECIMAL throughout.
VALUE_BASIS_SQL = """
    with history as (
        select party_id, month_start, sum(economic_profit) as economic_profit,
            sum(provision_charge) as provision_charge
        from marts.fct_contribution_monthly
        where party_id is not null and customer_type_code = 'P'
          and month_start > cast(? as date) - interval 12 month and month_start <= cast(? as date)
        group by party_id, month_start
    ),
    portfolio as (
        select sum(provision_charge) / count(*) as provision_per_customer_month from history
    )
    select party_id,
        cast(avg(economic_profit + provision_charge) - any_value(provision_per_customer_month) as decimal(18, 2))
            as monthly_profit
    from history cross join portfolio
    group by party_id
"""


def value_basis(con: duckdb.DuckDBPyConnection, month: pd.Timestamp) -> pd.DataFrame:
    """``party_id`` and ``monthly_profit`` (float, for the backtest's arithmetic) as of month end ``month``."""
    frame = con.execute(VALUE_BASIS_SQL, [month.date(), month.date()]).df()
    frame["monthly_profit"] = frame["monthly_profit"].astype(float)
    return frame


def backtest(con: duckdb.DuckDBPyConnection, cohorts: pd.DataFrame, label_horizon_months: int) -> dict[str, Any]:
    """Forecasts made at each month end of ``cohorts`` (columns month_start, party_id, churn_probability and
    economic_profit_monthly_12m: the validation months) against the economic profit the customers then realised in
    the following months (up to BACKTEST_MONTHS, as many as are complete), undiscounted, pooled over the origins:

    - the model: the value basis (VALUE_BASIS_SQL) x the expected months still a customer (the churn model);
    - the naive forecast of the issue: the last twelve months' average economic profit x the months (everyone stays).

    Bias is the pooled total forecast less the total realised, over the total of the customers' absolute realised
    profit (a portfolio's net profit is a small difference of large gains and losses, so the bias is measured against
    the gross); error is the mean absolute error per customer and origin."""
    import pandas as pd

    parts = []
    for month, cohort in cohorts.groupby("month_start", sort=True):
        month = pd.Timestamp(month)
        after = [r[0] for r in con.execute(
            "select month_start from intermediate.int_month_watermarks where is_complete and month_start > ? "
            "order by month_start limit ?", [month.date(), BACKTEST_MONTHS]).fetchall()]
        if not after:
            continue
        realised = con.execute(
            "select party_id, sum(economic_profit) as ep from marts.fct_contribution_monthly "
            "where month_start between ? and ? and party_id is not null group by party_id",
            [after[0], after[-1]]).df()
        frame = cohort[["party_id", "churn_probability", "economic_profit_monthly_12m"]].merge(
            value_basis(con, month), on="party_id", how="left").merge(realised, on="party_id", how="left")
        retention = monthly_retention(frame["churn_probability"].to_numpy(dtype=float), label_horizon_months)
        frame["model"] = frame["monthly_profit"].fillna(0).to_numpy() * expected_months(retention, len(after))
        frame["naive"] = frame["economic_profit_monthly_12m"].astype(float).to_numpy() * len(after)
        frame["actual"] = frame["ep"].fillna(0).astype(float)
        frame["origin"], frame["months"] = f"{month:%Y-%m}", len(after)
        parts.append(frame)
    if not parts:
        return {}
    pooled = pd.concat(parts, ignore_index=True)
    actual = pooled["actual"].to_numpy()
    gross = float(np.abs(actual).sum())
    rows = []
    for name, column in (("模型 churn-adjusted (retention from the churn model)", "model"),
                         ("朴素 naive (last 12 months x months)", "naive")):
        forecast = pooled[column].to_numpy()
        rows.append({"name": name, "forecast": float(forecast.sum()),
                     "bias": float((forecast.sum() - actual.sum()) / gross) if gross else 0.0,
                     "mae": float(np.mean(np.abs(forecast - actual)))})
    origins = [{"month": o, "months": int(g["months"].iloc[0]), "customers": len(g),
                "realised": float(g["actual"].sum()), "model": float(g["model"].sum()),
                "naive": float(g["naive"].sum())} for o, g in pooled.groupby("origin", sort=True)]
    return {"origins": origins, "customers": len(pooled), "realised": float(actual.sum()),
            "realised_gross": gross, "rows": rows}
