"""Reading the churn features, labels and parameters from the warehouse (dbt's ``intermediate/churn`` models)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb
import numpy as np
import pandas as pd

from models.errors import ModelError

FEATURES_TABLE = "intermediate.int_churn_features_monthly"
LABELS_TABLE = "intermediate.int_churn_labels_monthly"
# identifiers and grouping columns of the features table, and the length of history (it grows with the calendar, so
# it would tell the model which month it is): never model inputs
KEY_COLUMNS = ("month_start", "party_id", "rm_id", "home_branch_code", "months_observed_12m")
CATEGORICAL = ("worst_five_class_code", "risk_rating_code")


@dataclass(frozen=True)
class Parameters:
    """The seed parameters the Python side reads (seed parameters, never restated here)."""

    values: dict[str, Decimal]

    def __getitem__(self, name: str) -> Decimal:
        if name not in self.values:
            raise ModelError(f"parameter {name} is missing from seed parameters: run `crmwh build` first")
        return self.values[name]


def read_parameters(con: duckdb.DuckDBPyConnection) -> Parameters:
    rows = con.execute("select parameter_name, parameter_value from seeds.parameters").fetchall()
    return Parameters({name: Decimal(value) for name, value in rows})


def require_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in (FEATURES_TABLE, LABELS_TABLE):
        schema, name = table.split(".")
        found = con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                            [schema, name]).fetchall()[0]
        if not found[0]:
            raise ModelError(f"{table} is missing: build the warehouse (`crmwh build`) before training or scoring")


def complete_months(con: duckdb.DuckDBPyConnection) -> list[pd.Timestamp]:
    rows = con.execute("select month_start from intermediate.int_month_watermarks where is_complete "
                       "order by month_start").fetchall()
    return [pd.Timestamp(r[0]) for r in rows]


def load_frame(con: duckdb.DuckDBPyConnection, labelled_only: bool, month: pd.Timestamp | None = None) -> pd.DataFrame:
    """Features (and labels where known) per customer and month end; ``month`` restricts to one month."""
    require_tables(con)
    where = ["l.is_label_known"] if labelled_only else []
    params: list[object] = []
    if month is not None:
        where.append("f.month_start = ?")
        params.append(month.date())
    sql = (f"select f.*, l.is_leaver, l.churn_rule, coalesce(l.is_label_known, false) as is_label_known "
           f"from {FEATURES_TABLE} as f left join {LABELS_TABLE} as l "
           f"on l.month_start = f.month_start and l.party_id = f.party_id "
           f"where l.party_id is not null {'and ' + ' and '.join(where) if where else ''} "
           f"order by f.month_start, f.party_id")
    frame = con.execute(sql, params).df()
    frame["month_start"] = pd.to_datetime(frame["month_start"])
    return frame


def feature_columns(frame: pd.DataFrame) -> list[str]:
    skip = {*KEY_COLUMNS, "is_leaver", "churn_rule", "is_label_known"}
    return [c for c in frame.columns if c not in skip]


def model_matrix(frame: pd.DataFrame, features: list[str], categories: dict[str, list[str]]) -> pd.DataFrame:
    """The model's input: numbers as float, booleans as 0/1, the categorical codes on the training categories."""
    x = pd.DataFrame(index=frame.index)
    for name in features:
        col = frame[name]
        if name in CATEGORICAL:
            x[name] = pd.Categorical(col.astype("string").fillna("无"), categories=categories[name])
        else:
            x[name] = pd.to_numeric(col.astype("float64") if col.dtype == bool else col, errors="coerce").astype(
                np.float64)
    return x


def numeric_matrix(x: pd.DataFrame) -> np.ndarray:
    """The model's input (:func:`model_matrix`) as one float array, categorical features as their category codes
    (NaN for a category the model has not seen), the way LightGBM reads a data frame."""
    columns = []
    for name in x.columns:
        col = x[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy()
            columns.append(np.where(codes < 0, np.nan, codes.astype(np.float64)))
        else:
            columns.append(col.to_numpy(dtype=np.float64))
    return np.column_stack(columns) if columns else np.empty((len(x), 0))
