"""Reading what the marketing models need from the warehouse: the churn model's point-in-time features
(``int_churn_features_monthly``), a few more as of the same month end (balance mix, age), the product holdings per
family (``int_product_family_holdings_monthly``) and the next-best-product labels (``int_nbp_labels_monthly``), one
row per personal customer and month end with the families spread into columns."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from models.data import FEATURES_TABLE, feature_columns
from models.errors import ModelError

HOLDINGS_TABLE = "intermediate.int_product_family_holdings_monthly"
LABELS_TABLE = "intermediate.int_nbp_labels_monthly"
FAMILIES_TABLE = "seeds.product_families"
# columns of the frame that are never model inputs (besides the churn features' own keys)
EXTRA_KEYS = ("aum_tier_code",)


@dataclass(frozen=True)
class Family:
    code: str
    name_zh: str


def read_families(con: duckdb.DuckDBPyConnection) -> list[Family]:
    """The marketed product families (seed product_families), in display order."""
    _require(con, FAMILIES_TABLE)
    rows = con.execute(f"select product_family_code, min(product_family_name_zh), min(sort_order) "
                       f"from {FAMILIES_TABLE} group by product_family_code order by 3, 1").fetchall()
    return [Family(code, name) for code, name, _ in rows]


def _require(con: duckdb.DuckDBPyConnection, table: str) -> None:
    schema, name = table.split(".")
    found = con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                        [schema, name]).fetchall()[0][0]
    if not found:
        raise ModelError(f"{table} is missing: build the warehouse (`crmwh build`) before training or scoring")


def held_column(family: str) -> str:
    return f"held_{family.lower()}"


def opener_column(family: str) -> str:
    return f"opens_{family.lower()}"


def load_marketing_frame(con: duckdb.DuckDBPyConnection, families: list[Family], labelled_only: bool,
                         month: pd.Timestamp | None = None) -> pd.DataFrame:
    """Features, holdings per family and (where known) the opening labels per family, per customer and month end."""
    for table in (FEATURES_TABLE, HOLDINGS_TABLE, LABELS_TABLE):
        _require(con, table)
    params: list[object] = []
    where = ""
    if month is not None:
        where = "where f.month_start = ?"
        params.append(month.date())
    frame = con.execute(f"""
        select f.*,
            cast(coalesce(a.deposit_adb_cny / nullif(a.aum_cny, 0), 0) as double) as deposit_share,
            cast(coalesce(a.wealth_adb_cny / nullif(a.aum_cny, 0), 0) as double) as wealth_share,
            cast(year(f.month_start) - p.birth_year as integer) as age,
            coalesce(a.aum_tier_code, 'MASS') as aum_tier_code
        from {FEATURES_TABLE} as f
        left join intermediate.int_customer_aum_monthly as a
            on a.month_start = f.month_start and a.party_id = f.party_id
        left join intermediate.int_parties as p on p.party_id = f.party_id
        {where}
        order by f.month_start, f.party_id""", params).df()
    frame["month_start"] = pd.to_datetime(frame["month_start"])
    holdings = con.execute(f"select month_start, party_id, product_family_code, accounts_held, "
                           f"months_since_last_opened from {HOLDINGS_TABLE} "
                           f"{'where month_start = ?' if month is not None else ''}", params).df()
    labels = con.execute(f"select month_start, party_id, product_family_code, is_opener, is_label_known "
                         f"from {LABELS_TABLE} {'where month_start = ?' if month is not None else ''}", params).df()
    for part in (holdings, labels):
        part["month_start"] = pd.to_datetime(part["month_start"])
    keys = ["month_start", "party_id"]
    for fam in families:
        h = holdings[holdings["product_family_code"] == fam.code].set_index(keys)
        frame = frame.join(h[["accounts_held", "months_since_last_opened"]].rename(columns={
            "accounts_held": f"accounts_{fam.code.lower()}",
            "months_since_last_opened": f"months_since_{fam.code.lower()}"}), on=keys)
        frame[f"accounts_{fam.code.lower()}"] = frame[f"accounts_{fam.code.lower()}"].fillna(0).astype(int)
        frame[held_column(fam.code)] = frame[f"accounts_{fam.code.lower()}"] > 0
        lab = labels[labels["product_family_code"] == fam.code].set_index(keys)
        frame = frame.join(lab[["is_opener"]].rename(columns={"is_opener": opener_column(fam.code)}), on=keys)
        frame[opener_column(fam.code)] = frame[opener_column(fam.code)].fillna(False).astype(bool)
    known = labels.groupby(keys)["is_label_known"].all()
    frame = frame.join(known.rename("is_label_known"), on=keys)
    frame["is_label_known"] = frame["is_label_known"].fillna(False).astype(bool)
    if labelled_only:
        frame = frame[frame["is_label_known"]].reset_index(drop=True)
    return frame


def marketing_features(frame: pd.DataFrame, families: list[Family]) -> list[str]:
    """The model inputs: the churn features, the balance mix and age, and every family's holdings."""
    skip = {*EXTRA_KEYS, "is_label_known", *(opener_column(f.code) for f in families),
            *(held_column(f.code) for f in families)}
    return [c for c in feature_columns(frame) if c not in skip]


def numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    col = frame[column]
    return pd.to_numeric(col.astype("float64") if col.dtype == bool else col, errors="coerce").to_numpy(
        dtype=np.float64)
