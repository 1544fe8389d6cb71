"""Customer lifetime value: the expected economic profit of the coming ``ltv_horizon_months`` months, each month's
profit weighted by the probability the customer is still with the bank (from the churn model) and discounted at the
hurdle rate (the return the bank requires on its capital). Money stays DECIMAL: the retention-and-discount factor is
a dimensionless weight, multiplied into the decimal monthly profit in the warehouse."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ValueTerms:
    horizon_months: int
    hurdle_rate: float  # annual
    label_horizon_months: int  # the churn probability covers this many months


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
