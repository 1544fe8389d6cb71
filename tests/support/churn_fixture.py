"""A tiny warehouse holding only what models/ reads (month watermarks, the parameters seed, churn features and
labels), with a leaving signal planted in chosen features: the models package's unit tests train on it in seconds."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import jinja2
import numpy as np
import pandas as pd

from support.dbt_harness import DBT_DIR

FEATURES_DDL = """create table intermediate.int_churn_features_monthly (
    month_start date, party_id varchar, rm_id varchar, home_branch_code varchar, tenure_months integer,
    products_held integer, cross_sell_ratio decimal(9, 6), products_change_3m integer, aum_cny decimal(18, 2),
    aum_trend_3m decimal(18, 6), month_end_to_average_aum decimal(18, 6), aum_volatility_6m decimal(18, 6),
    maturing_deposits_3m integer, maturing_share_3m decimal(18, 6), transactions integer,
    transactions_trend_3m decimal(18, 6), digital_transactions integer, digital_trend_3m decimal(18, 6),
    counter_transactions integer, counter_trend_3m decimal(18, 6), card_transactions integer,
    card_trend_3m decimal(18, 6), salary_credits integer, is_salary_stopped boolean,
    reversed_transactions_3m integer, days_since_last_transaction integer, is_rm_changed_3m boolean,
    is_rm_changed_1m boolean, months_since_rm_change integer, net_contribution decimal(18, 2),
    contribution_change_3m decimal(18, 2), economic_profit_monthly_12m decimal(18, 2), months_observed_12m integer,
    loan_adb_cny decimal(18, 2), card_adb_cny decimal(18, 2), worst_five_class_code varchar,
    max_days_past_due integer, risk_rating_code varchar)"""


def scoring_ddl(macro_file: str, macro: str) -> str:
    """The DDL a scoring-tables macro renders on DuckDB, from the dbt macro that owns it (dispatch resolved to the
    default__ implementations of macros/scoring_tables.sql)."""
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    macros: dict[str, object] = {}

    class _Adapter:
        @staticmethod
        def dispatch(name: str, _package: str) -> object:
            return macros[f"default__{name}"]

    env.globals.update(adapter=_Adapter(), **{"return": lambda value: value})
    shared = env.from_string((DBT_DIR / "macros" / "scoring_tables.sql").read_text(encoding="utf-8")).module
    macros.update((name, getattr(shared, name)) for name in dir(shared) if not name.startswith("_"))
    env.globals.update(create_tables_if_missing=shared.create_tables_if_missing)
    module = env.from_string((DBT_DIR / "macros" / macro_file).read_text(encoding="utf-8")).module
    return str(getattr(module, macro)())


def scoring_tables_sql() -> str:
    """The DDL of the scoring tables."""
    return scoring_ddl("scoring_tables.sql", "create_scoring_tables")


def build_churn_warehouse(path: Path, months: int = 8, customers: int = 1500, leave_rate: float = 0.06,
                          complete: bool = True, seed: int = 3) -> Path:
    """Customers whose salary stops or whose deposits mature leave far more often; ``complete=False`` marks every
    month incomplete (a warehouse with no month-end data)."""
    rng = np.random.default_rng(seed)
    con = duckdb.connect(str(path))
    con.execute("create schema intermediate; create schema seeds")
    con.execute(scoring_tables_sql())
    con.execute("create table intermediate.int_month_watermarks (month_start date, is_complete boolean)")
    starts = [date(2025, m + 1, 1) for m in range(months)]
    con.executemany("insert into intermediate.int_month_watermarks values (?, ?)", [(m, complete) for m in starts])
    con.execute("create table seeds.parameters (parameter_name varchar, parameter_value decimal(18, 6))")
    with (DBT_DIR / "seeds" / "parameters" / "parameters.csv").open(encoding="utf-8") as fh:
        rows = [(r["parameter_name"], r["parameter_value"]) for r in csv.DictReader(fh)]
    con.executemany("insert into seeds.parameters values (?, ?)", rows)
    con.execute(FEATURES_DDL)
    con.execute("""create table intermediate.int_churn_labels_monthly (month_start date, party_id varchar,
        is_leaver boolean, churn_rule varchar, is_label_known boolean)""")
    horizon = 3
    n = customers
    parts = []
    for i, month in enumerate(starts):
        salary_stopped = rng.random(n) < 0.08
        maturing = rng.integers(0, 3, n) * (rng.random(n) < 0.2)
        quiet = rng.random(n) < 0.1
        logit = -4.0 + 2.5 * salary_stopped + 1.2 * (maturing > 0) + 1.5 * quiet
        leaver = rng.random(n) < 1 / (1 + np.exp(-logit)) * leave_rate / 0.05
        aum = np.round(rng.lognormal(10, 1.5, n), 2)
        parts.append(pd.DataFrame({
            "month_start": month, "party_id": [f"P{k:05d}" for k in range(n)],
            "tenure_months": rng.integers(1, 200, n), "products_held": rng.integers(1, 5, n),
            "aum_cny": aum, "maturing_deposits_3m": maturing, "maturing_share_3m": np.where(maturing > 0, 0.3, 0.0),
            "transactions": rng.integers(0, 40, n), "salary_credits": np.where(salary_stopped, 0, 1),
            "is_salary_stopped": salary_stopped,
            "days_since_last_transaction": np.where(quiet, rng.integers(40, 90, n), rng.integers(0, 30, n)),
            "economic_profit_monthly_12m": np.round(aum * 0.001, 2), "months_observed_12m": min(i + 1, 12),
            "is_leaver": leaver, "is_label_known": i + horizon < months,
        }))
    frame = pd.concat(parts, ignore_index=True)  # noqa: F841 (read by the SQL below)
    con.execute("""insert into intermediate.int_churn_features_monthly by name
        select month_start, party_id, tenure_months, products_held, aum_cny, maturing_deposits_3m, maturing_share_3m,
               transactions, salary_credits, is_salary_stopped, days_since_last_transaction,
               economic_profit_monthly_12m,
               months_observed_12m, 'RM' || (hash(party_id) % 7) as rm_id, 'B' || (hash(party_id) % 3)
               as home_branch_code, 0.25 as cross_sell_ratio, 0 as products_change_3m, 1.0 as aum_trend_3m,
               1.0 as month_end_to_average_aum, 0.1 as aum_volatility_6m, 1.0 as transactions_trend_3m,
               5 as digital_transactions, 1.0 as digital_trend_3m, 1 as counter_transactions, 1.0 as counter_trend_3m,
               2 as card_transactions, 1.0 as card_trend_3m, 0 as reversed_transactions_3m,
               false as is_rm_changed_3m, false as is_rm_changed_1m, aum_cny * 0.001 as net_contribution,
               0.0 as contribution_change_3m, 0.0 as loan_adb_cny, 0.0 as card_adb_cny,
               '无' as worst_five_class_code, 0 as max_days_past_due, 'A' as risk_rating_code
        from frame""")
    # what each customer then earned: the backtest of the value forecast reads it
    con.execute("""create schema marts; create table marts.fct_contribution_monthly as
        select month_start, party_id, 'P' as customer_type_code,
            cast(economic_profit_monthly_12m as decimal(18, 2)) as economic_profit,
            cast(0 as decimal(18, 2)) as provision_charge
        from frame where not is_leaver""")
    con.execute("""insert into intermediate.int_churn_labels_monthly
        select month_start, party_id, is_leaver, case when is_leaver then 'closed' end, is_label_known from frame""")
    con.close()
    return path


def score_with_fixture_model(warehouse: Path, workdir: Path) -> None:
    """Fill the churn scores of a built warehouse (the shared generated bank has too few leavers to train on): a model
    trained on the hand-built warehouse scores the latest month, so the churn dashboard has rows to show."""
    from models import latest_artifact, score_warehouse
    from models.training import train_from_warehouse

    workdir.mkdir(parents=True, exist_ok=True)
    train_from_warehouse(build_churn_warehouse(workdir / "fixture.duckdb"), workdir / "models", progress=False)
    artifact = latest_artifact(workdir / "models")
    assert artifact is not None
    con = duckdb.connect(str(warehouse))
    try:
        score_warehouse(con, artifact)
    finally:
        con.close()
