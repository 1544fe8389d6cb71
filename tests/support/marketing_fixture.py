"""A tiny warehouse holding only what the marketing models read: the churn fixture (month watermarks, parameters,
churn features) plus the product families seed, AUM mix, birth years, holdings per family and next-best-product
labels, with opening signals planted in chosen features; and the marketing scoring tables. Trains in seconds."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from support.churn_fixture import build_churn_warehouse, scoring_ddl
from support.dbt_harness import DBT_DIR

HORIZON = 3


def marketing_scoring_tables_sql() -> str:
    """The DDL of the marketing scoring tables, from the dbt macro that owns it."""
    return scoring_ddl("marketing_scoring_tables.sql", "create_marketing_scoring_tables")


def build_marketing_warehouse(path: Path, months: int = 8, customers: int = 1500, seed: int = 5,
                              mortgage_rate: float = 0.001) -> Path:
    """Term-deposit openers are those with deposits maturing and a large deposit share; credit-card openers are
    young and transact a lot; wealth openers hold a term deposit and little wealth; mortgages almost never open
    (too few openers: the family is not modelled)."""
    build_churn_warehouse(path, months=months, customers=customers, seed=seed)
    rng = np.random.default_rng(seed)
    con = duckdb.connect(str(path))
    try:
        con.execute(marketing_scoring_tables_sql())
        with (DBT_DIR / "seeds" / "parameters" / "product_families.csv").open(encoding="utf-8") as fh:
            fam_rows = [(r["category_code"], r["product_family_code"], r["product_family_name_zh"],
                         r["product_family_name_en"], int(r["sort_order"])) for r in csv.DictReader(fh)]
        con.execute("create table seeds.product_families (category_code varchar, product_family_code varchar, "
                    "product_family_name_zh varchar, product_family_name_en varchar, sort_order integer)")
        con.executemany("insert into seeds.product_families values (?, ?, ?, ?, ?)", fam_rows)
        feats = con.execute("select month_start, party_id, aum_cny, maturing_deposits_3m, transactions "
                            "from intermediate.int_churn_features_monthly order by month_start, party_id").df()
        parties = sorted(feats["party_id"].unique())
        birth = pd.DataFrame({"party_id": parties, "birth_year": rng.integers(1950, 2003, len(parties))})
        con.execute("create table intermediate.int_parties as select * from birth")
        feats = feats.merge(birth, on="party_id")
        n = len(feats)
        aum = feats["aum_cny"].astype(float).to_numpy()
        deposit_share = rng.uniform(0.2, 1.0, n)
        wealth_share = (1 - deposit_share) * rng.uniform(0, 1, n)
        tier = np.where(aum >= 1_000_000, "WEALTH", np.where(aum >= 100_000, "VIP", "MASS"))
        aum_frame = pd.DataFrame({"month_start": feats["month_start"], "party_id": feats["party_id"],  # noqa: F841
                                  "aum_cny": aum, "deposit_adb_cny": np.round(aum * deposit_share, 2),
                                  "wealth_adb_cny": np.round(aum * wealth_share, 2), "aum_tier_code": tier})
        con.execute("""create table intermediate.int_customer_aum_monthly as select month_start, party_id,
            cast(aum_cny as decimal(18, 2)) as aum_cny, cast(deposit_adb_cny as decimal(18, 2)) as deposit_adb_cny,
            cast(wealth_adb_cny as decimal(18, 2)) as wealth_adb_cny, aum_tier_code from aum_frame""")
        age = pd.to_datetime(feats["month_start"]).dt.year.to_numpy() - feats["birth_year"].to_numpy()
        maturing = feats["maturing_deposits_3m"].to_numpy() > 0
        txn = feats["transactions"].to_numpy()
        holds_td = rng.random(n) < 0.4
        holds_wealth = rng.random(n) < 0.15
        holds_card = rng.random(n) < 0.3

        def opens(logit: np.ndarray) -> np.ndarray:
            return rng.random(n) < 1 / (1 + np.exp(-logit))

        labels = {
            "TERM_DEPOSIT": opens(-4.0 + 2.5 * maturing + 2.0 * (deposit_share > 0.8)),
            "WEALTH": opens(-4.5 + 2.0 * holds_td + 1.5 * (wealth_share < 0.05) - 2.0 * holds_wealth),
            "CREDIT_CARD": opens(-4.5 + 2.0 * (age < 35) + 1.5 * (txn > 25) - 2.5 * holds_card),
            "CONSUMER_LOAN": opens(-4.0 + 1.5 * (age < 40) * (txn > 20) + 0.0 * aum),
            "MORTGAGE": rng.random(n) < mortgage_rate,
        }
        held = {"TERM_DEPOSIT": holds_td, "WEALTH": holds_wealth, "CREDIT_CARD": holds_card,
                "CONSUMER_LOAN": rng.random(n) < 0.05, "MORTGAGE": rng.random(n) < 0.05}
        month_no = pd.to_datetime(feats["month_start"]).rank(method="dense").astype(int).to_numpy()
        known = month_no + HORIZON <= months
        hold_parts, label_parts = [], []
        for fam in labels:
            base = pd.DataFrame({"month_start": feats["month_start"], "party_id": feats["party_id"],
                                 "product_family_code": fam})
            h = base[held[fam]].copy()
            h["accounts_held"] = 1
            h["months_since_last_opened"] = rng.integers(0, 60, len(h))
            hold_parts.append(h)
            lab = base.copy()
            lab["is_held"] = held[fam]
            lab["is_opener"] = labels[fam]
            lab["accounts_opened"] = labels[fam].astype(int)
            lab["is_label_known"] = known
            label_parts.append(lab)
        holdings = pd.concat(hold_parts, ignore_index=True)  # noqa: F841
        nbp = pd.concat(label_parts, ignore_index=True)  # noqa: F841
        con.execute("""create table intermediate.int_product_family_holdings_monthly as select month_start,
            party_id, product_family_code, cast(accounts_held as integer) as accounts_held,
            cast(months_since_last_opened as integer) as months_since_last_opened from holdings""")
        con.execute("""create table intermediate.int_nbp_labels_monthly as select month_start, party_id,
            product_family_code, is_held, is_opener, cast(accounts_opened as integer) as accounts_opened,
            is_label_known from nbp""")
    finally:
        con.close()
    return path


def score_marketing_with_fixture_models(warehouse: Path, workdir: Path) -> None:
    """Fill the next-best-product scores and segments of a built warehouse (the shared generated bank has too few
    months with known labels to train on): models trained on the hand-built warehouse score it, so the 产品推荐名单
    dashboard has rows to show."""
    from models.marketing_artifacts import latest_propensity, latest_segments
    from models.marketing_scoring import score_propensity, score_segments
    from models.marketing_training import train_marketing_from_warehouse

    workdir.mkdir(parents=True, exist_ok=True)
    train_marketing_from_warehouse(build_marketing_warehouse(workdir / "fixture.duckdb"), workdir / "models")
    propensity, segments = latest_propensity(workdir / "models"), latest_segments(workdir / "models")
    assert propensity is not None and segments is not None
    con = duckdb.connect(str(warehouse))
    try:
        score_propensity(con, propensity)
        score_segments(con, segments)
    finally:
        con.close()
