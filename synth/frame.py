"""Columnar tables (dicts of numpy arrays) and the conventions used to hand them to DuckDB.

Inside the generator: days are int64 indexes relative to the first business date (``NO_DAY`` = none), money is int64
cents, rates are int64 millionths, strings are numpy StringDType with '' meaning none. DuckDB turns them into the
contract's DATE / DECIMAL(18,2) / DECIMAL(9,6) / VARCHAR with the macros below, so money never passes through a float.
"""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from synth.ids import STR

Cols = dict[str, np.ndarray]
NO_DAY = np.int64(2**31 - 1)


def register(con: duckdb.DuckDBPyConnection, name: str, cols: Cols) -> None:
    """Materialise ``cols`` as DuckDB table ``name`` ('' strings become NULL)."""
    data = {}
    for key, values in cols.items():
        if values.dtype == STR or values.dtype == object:
            obj = values.astype(object)
            obj[values == ""] = None
            data[key] = obj
        else:
            data[key] = values
    frame = pd.DataFrame(data, copy=False)
    view = f"__{name}_frame"
    con.register(view, frame)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}")
    con.unregister(view)


def install_macros(con: duckdb.DuckDBPyConnection, start: date) -> None:
    """``d(day)`` → DATE, ``m(cents)`` → DECIMAL(18,2), ``r(millionths)`` → DECIMAL(9,6), ``hhmmss(second)``."""
    con.execute(
        f"CREATE OR REPLACE MACRO d(x) AS CASE WHEN x >= {int(NO_DAY)} THEN NULL "
        f"ELSE DATE '{start.isoformat()}' + CAST(x AS INTEGER) END"
    )
    con.execute("CREATE OR REPLACE MACRO m(x) AS CAST(CAST(x AS DECIMAL(18,0)) * 0.01 AS DECIMAL(18,2))")
    con.execute("CREATE OR REPLACE MACRO r(x) AS CAST(CAST(x AS DECIMAL(18,0)) * 0.000001 AS DECIMAL(9,6))")
    con.execute("CREATE OR REPLACE MACRO hhmmss(s) AS "
                "substr(CAST(1000000 + (s // 3600) * 10000 + (s // 60 % 60) * 100 + s % 60 AS VARCHAR), 2)")


def round_half_up_div(numerator: np.ndarray, denominator: int) -> np.ndarray:
    """Integer division rounding half away from zero (the rounding of money throughout the bank)."""
    num = np.asarray(numerator, dtype=np.int64)
    q = (np.abs(num) * 2 + denominator) // (2 * denominator)
    return np.sign(num) * q


def cents(amount: np.ndarray) -> np.ndarray:
    """Float CNY (a draw from a distribution) → int64 cents."""
    return np.rint(np.asarray(amount, dtype=np.float64) * 100).astype(np.int64)
