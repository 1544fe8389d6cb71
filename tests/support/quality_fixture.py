"""A small, clean raw layer built from the contracts alone, for testing the suites without the generator.

Every extract gets a few rows per business date whose values follow the contract and ``config.yaml``: codes from the
code lists, keys unique, foreign keys and configured references pointing at rows that exist, amounts and dates
inside their ranges. The rows are written as delivery files by the contracts' writer and loaded by the real loader,
so raw and audit are what a bank's deliveries give. A delivery of rows that break every rule is delivered too: the
loader rejects it (audit records it; its rows never reach raw) and the suites must ignore its batch.

Tests copy the file and break one thing with SQL to see the matching expectation fail.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from contracts.contract import Column, Contract, ContractSet, load_contracts
from contracts.writer import write_extract
from expectations.config import QualityConfig, load_config
from expectations.model import Severity
from ingest import audit as ingest_audit
from ingest.loader import ingest_landing
from ingest.report import LOADED

DEFAULT_DATES = (date(2025, 1, 30), date(2025, 1, 31))
ROWS = 4
REJECTED_DATE = date(2025, 2, 1)
REJECTED_SYSTEM = "core"


class _Bank:
    def __init__(self, contracts: ContractSet, cfg: QualityConfig) -> None:
        self.contracts = contracts
        self.cfg = cfg
        # column -> (target extract key, target column): contract foreign keys and configured references
        self.links: dict[tuple[str, str], tuple[str, str]] = {}
        for c in contracts.contracts:
            for fk in c.foreign_keys:
                for col, ref in zip(fk.columns, fk.ref_columns, strict=True):
                    self.links[(c.key, col)] = (fk.ref_key, ref)
        for r in cfg.raw.references:
            for col, ref in zip(r.columns, r.target_columns, strict=True):
                self.links.setdefault((r.source, col), (r.target, ref))

    def codes(self, contract: Contract, col: Column) -> list[str]:
        origin = self.cfg.raw.codes_from.get((contract.key, col.name))
        codes = self.contracts.get(origin[0]).column(origin[1]).codes if origin else col.codes
        if not codes and (contract.key, col.name) == ("ref.exchange_rates", "currency") and self.contracts.profile:
            codes = self.contracts.profile.currency_names  # the bank's currencies: no code list, the FX extract's
        return sorted(codes)

    def bounds(self, contract: Contract, col: Column) -> tuple[Decimal | None, Decimal | None]:
        lows, highs = [], []
        for b in self.cfg.raw.ranges.get(contract.key, {}).get(col.name, {}).values():
            if b.min is not None:
                lows.append(b.min)
            if b.max is not None:
                highs.append(b.max)
        return (max(lows) if lows else None, min(highs) if highs else None)

    def value(self, contract: Contract, col: Column, day: date, i: int) -> Any:
        link = self.links.get((contract.key, col.name))
        if link is not None:
            target = self.contracts.get(link[0])
            return self.row(target.key, day, i % ROWS)[link[1]]
        in_key = col.name in contract.primary_key
        if col.nullable and not in_key:
            return None
        codes = self.codes(contract, col)
        if codes:
            return codes[i % len(codes)]
        if col.type == "date":
            return self._date(contract, col, day, i)
        if col.type in ("decimal", "integer"):
            return self._number(contract, col, i, in_key)
        event = contract.key in self.cfg.raw.unique_across_deliveries
        stamp = day.strftime("%m%d") if event and in_key else ""
        return f"{col.name[:4].upper()}{stamp}{i:03d}"

    def _date(self, contract: Contract, col: Column, day: date, i: int) -> date:
        raw = self.cfg.raw
        if col.name in raw.dates_equal_business_date.get(contract.key, ()):
            return day
        if col.name in raw.history_in_first_delivery.get(contract.key, ()):
            return day
        if col.name in raw.dates_month_start.get(contract.key, ()):
            return day.replace(day=1)
        if raw.allows_future_date(contract.key, col.name):
            return day + timedelta(days=365 + i)
        return day - timedelta(days=30 + i)

    def _number(self, contract: Contract, col: Column, i: int, in_key: bool) -> Decimal | int:
        low, high = self.bounds(contract, col)
        if col.type == "integer":
            start = int(low) if low is not None else 1
            return start + i if in_key or high is None else min(start + i, int(high))
        scale = Decimal(1).scaleb(-(col.scale or 0))
        if low is not None and high is not None:
            value = low + (high - low) / 4
        elif low is not None:
            value = low + 100
        elif high is not None:
            value = min(high, Decimal(100))
        else:
            value = Decimal(100)
        return value.quantize(scale)

    @cache  # noqa: B019 - one small bank per build; the cache is what makes references consistent
    def row(self, key: str, day: date, i: int) -> dict[str, Any]:
        contract = self.contracts.get(key)
        return {col.name: self.value(contract, col, day, i) for col in contract.columns}


def build_raw_fixture(
    path: Path,
    dates: Sequence[date] = DEFAULT_DATES,
    contracts: ContractSet | None = None,
    cfg: QualityConfig | None = None,
) -> dict[tuple[str, date], int]:
    """Write the fixture's deliveries as files and load them into ``path`` (must not exist) through the loader;
    returns the batch id of each (system, date) loaded."""
    contracts = contracts or load_contracts()
    cfg = cfg or load_config(contracts=contracts)
    bank = _Bank(contracts, cfg)
    with tempfile.TemporaryDirectory(prefix="quality-fixture-") as tmp, duckdb.connect() as con:
        landing = Path(tmp)
        for day in dates:
            for system in contracts.systems:
                _write_delivery(con, contracts, bank, system, day, landing, broken=False)
        _write_delivery(con, contracts, bank, REJECTED_SYSTEM, REJECTED_DATE, landing, broken=True)
        report = ingest_landing(landing, path, progress=False)
    outcomes = {(o.system, o.business_date): o for o in report.outcomes}
    wrong = [o.line() for key, o in outcomes.items()
             if (o.outcome == LOADED) != (key != (REJECTED_SYSTEM, REJECTED_DATE))]
    if wrong:
        raise RuntimeError("the quality fixture did not load as intended:\n" + "\n".join(wrong))
    return {key: o.batch_id for key, o in outcomes.items() if o.outcome == LOADED and o.batch_id is not None}


def _write_delivery(con: duckdb.DuckDBPyConnection, contracts: ContractSet, bank: _Bank, system: str, day: date,
                    landing: Path, *, broken: bool) -> None:
    """One delivery as its source system writes it; ``broken``: rows that break every rule (the loader rejects it)."""
    folder = landing / system / day.strftime("%Y%m%d")
    for contract in contracts.load_order(system):
        if not contract.delivered_on(day):
            continue
        rows = [bank.row(contract.key, day, i) for i in range(ROWS)]
        if broken:
            rows = [{k: None for k in r} for r in rows]
        names = list(contract.column_names)
        frame = pd.DataFrame([[None if r[n] is None else str(r[n]) for n in names] for r in rows], columns=names,
                             dtype=object)
        select = ", ".join(f'CAST("{col.name}" AS {col.duckdb_type}) AS "{col.name}"' for col in contract.columns)
        with con.cursor() as cursor:
            cursor.register("fixture_rows", frame)
            write_extract(cursor, contract, f"(SELECT {select} FROM fixture_rows)", day, folder)


def _loaded_batch(table: str, pick: str = "max") -> str:
    """The table's latest (or first) LOADED delivery, as a subquery."""
    return (
        f"(SELECT {pick}(_batch_id) FROM {table} WHERE _batch_id IN "
        f"(SELECT batch_id FROM audit.deliveries WHERE status = '{ingest_audit.LOADED}'))"
    )


def _target_row(table: str, slot: int = 0) -> str:
    """The ``slot``-th row (wrapping around) of the table's latest LOADED delivery, as a rowid condition."""
    return (
        f"rowid = (SELECT rowid FROM (SELECT rowid, row_number() OVER (ORDER BY rowid) - 1 AS n, count(*) OVER () AS c "
        f"FROM {table} WHERE _batch_id = {_loaded_batch(table)}) WHERE n = {int(slot)} % c)"
    )


def breaking_sql(check_name: str, contracts: ContractSet, cfg: QualityConfig, slot: int = 0) -> list[str]:
    """SQL that breaks a loaded raw layer so that the raw check ``check_name`` must fail.

    Row-level breaks hit one row of the latest LOADED delivery of the table: the ``slot``-th, so that several checks
    can be broken at once on different rows.
    """
    _, raw_table, kind, *rest = check_name.split(".")
    table = f"raw.{raw_table}"
    contract = next(c for c in contracts.contracts if c.raw_table == raw_table)
    row = _target_row(table, slot)
    detail = ".".join(rest)
    if kind == "row_count_matches_control":
        return [f"DELETE FROM {table} WHERE {row}"]
    if kind == "not_null":
        return [f'UPDATE {table} SET "{detail}" = NULL WHERE {row}']
    if kind == "codes":
        return [f"UPDATE {table} SET \"{detail}\" = '~~' WHERE {row}"]
    if kind == "unique_key":
        return [f"INSERT INTO {table} SELECT * FROM {table} WHERE {row}"]
    if kind == "fk":
        return [f"UPDATE {table} SET \"{detail.split('+')[0]}\" = 'NO-SUCH-KEY' WHERE {row}"]
    if kind == "ref":
        ref = next(r for r in cfg.raw.references if r.name == detail)
        loaded = f"SELECT batch_id FROM audit.deliveries WHERE status = '{ingest_audit.LOADED}'"
        return [f"UPDATE {table} SET \"{ref.columns[0]}\" = 'NO-SUCH-KEY' WHERE _batch_id IN ({loaded})"]
    if kind in ("range", "plausible"):
        severity = Severity.CRITICAL if kind == "range" else Severity.WARNING
        bounds = cfg.raw.ranges[contract.key][detail][severity]
        # above a maximum where there is one: under a warning minimum could also cross a critical one
        value = bounds.max + 1 if bounds.max is not None else bounds.min - 1  # type: ignore[operator]
        return [f'UPDATE {table} SET "{detail}" = {value} WHERE {row}']
    if kind == "date":
        if detail in cfg.raw.dates_equal_business_date.get(contract.key, ()):
            value = "_business_date - 1"
        elif detail in cfg.raw.dates_month_start.get(contract.key, ()):
            value = "date_trunc('month', _business_date) + INTERVAL 1 DAY"
        elif cfg.raw.allows_future_date(contract.key, detail):
            value = "DATE '1800-01-01'"
        else:
            value = "_business_date + 1"
        return [f'UPDATE {table} SET "{detail}" = CAST({value} AS DATE) WHERE {row}']
    if kind == "date_order":
        earlier, later = rest
        return [f'UPDATE {table} SET "{later}" = CAST("{earlier}" AS DATE) - 1 WHERE {row}']
    if kind == "not_redelivered":
        first = f"(SELECT min(rowid) FROM {table} WHERE _batch_id = {_loaded_batch(table, 'min')})"
        return [
            f"INSERT INTO {table} SELECT * REPLACE ({_loaded_batch(table)} AS _batch_id) FROM {table} "
            f"WHERE rowid = {first}"
        ]
    raise ValueError(f"no way to break {check_name!r} is known")


MARTS_MONTHS = (date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1))

# A tiny published warehouse: three complete months, four accounts (loan, deposit, card, wealth) of three customers,
# two cost centres; the GL books 1,400.00 of operating expense a month and every identity holds.
_MARTS_SQL = """
CREATE SCHEMA IF NOT EXISTS marts;
CREATE TABLE marts.dim_date AS
    SELECT CAST(d AS DATE) AS date_day, true AS has_delivery
    FROM range(DATE '2025-01-01', DATE '2025-04-01', INTERVAL 1 DAY) t(d);
CREATE TABLE marts.dim_branch AS
    SELECT * FROM (VALUES ('B1', 'Branch one'), ('B2', 'Branch two'), ('-1', '未知')) v(branch_code, branch_name);
CREATE TABLE marts.dim_product AS
    SELECT * FROM (VALUES ('P_LOAN', 'LOAN'), ('P_DEP', 'DEPOSIT'), ('P_CARD', 'CARD'), ('P_WM', 'WEALTH'),
        ('-1', NULL)) v(product_code, product_line_code);
CREATE TABLE marts.dim_relationship_manager AS SELECT * FROM (VALUES ('R1'), ('-1')) v(rm_id);
CREATE TABLE marts.dim_customer AS
    SELECT * FROM (VALUES
        ('K1a', 'C1', DATE '2024-06-01', DATE '2025-02-01', false, 'RETAIL', 'MASS', NULL, 'B1'),
        ('K1b', 'C1', DATE '2025-02-01', DATE '9999-12-31', true, 'RETAIL', 'VIP', 'R1', 'B1'),
        ('K2', 'C2', DATE '2024-01-01', DATE '9999-12-31', true, 'CORPORATE', NULL, 'R1', 'B2'),
        ('K3', 'C3', DATE '2025-01-01', DATE '9999-12-31', true, 'CARD_ONLY', 'MASS', NULL, 'B2'),
        ('-1', '-1', DATE '1900-01-01', DATE '9999-12-31', true, '-1', NULL, '-1', '-1')  -- the unknown member
    ) v(customer_key, party_id, valid_from, valid_to, is_current, segment_code, aum_tier_code, rm_id,
        home_branch_code);
CREATE TABLE accounts AS
    SELECT * FROM (VALUES
        -- the loan has defaulted: its credit cost (a provision release) differs from its contractual EL
        ('A1', 'C2', 'P_LOAN', 'LOAN', 'A', 'B2', 800000.00, 3000.00, 0.00, 1800.00, 0.00, 0.00, 120.00, -60.00,
         8000.00),
        ('A2', 'C1', 'P_DEP', 'DEPOSIT', 'L', 'B1', 150000.00, 0.00, 200.00, 0.00, 350.00, 15.00, 0.00, 0.00, 0.00),
        ('A3', 'C3', 'P_CARD', 'CARD', 'A', 'B2', 12000.00, 180.00, 0.00, 30.00, 0.00, 45.00, 40.00, 40.00, 600.00),
        ('A4', 'C1', 'P_WM', 'WEALTH', 'O', 'B1', 500000.00, 0.00, 0.00, 0.00, 0.00, 260.00, 0.00, 0.00, 0.00)
    ) v(account_id, party_id, product_code, product_line_code, balance_side_code, branch_code,
        average_daily_balance_cny, interest_income, interest_expense, ftp_charge, ftp_credit, fee_income,
        expected_loss, credit_cost, economic_capital);
CREATE TABLE marts.fct_contribution_monthly AS
    WITH base AS (
        SELECT m.month_start, a.*, CAST(350.00 AS DECIMAL(18, 2)) AS allocated_operating_cost,
               CAST(a.economic_capital * 0.01 AS DECIMAL(18, 2)) AS capital_charge  -- 12 % hurdle / 12
        FROM (VALUES (DATE '2025-01-01'), (DATE '2025-02-01'), (DATE '2025-03-01')) m(month_start)
        CROSS JOIN accounts AS a
    ), nic AS (
        SELECT *, CAST(interest_income - ftp_charge + ftp_credit - interest_expense AS DECIMAL(18, 2))
            AS net_interest_contribution FROM base
    ), vat AS (  -- 6 % VAT in the interest and fees, 12 % surcharges on it
        SELECT *, CAST(round((interest_income + fee_income) * 6 / 106, 2) AS DECIMAL(18, 2)) AS output_vat FROM nic
    ), nc AS (
        SELECT *, CAST(round(output_vat * 0.12, 2) AS DECIMAL(18, 2)) AS vat_surcharges,
            CAST(net_interest_contribution + fee_income - output_vat - CAST(round(output_vat * 0.12, 2) AS
                 DECIMAL(18, 2)) - allocated_operating_cost - credit_cost AS DECIMAL(18, 2)) AS net_contribution
        FROM vat
    )
    SELECT month_start, account_id, party_id, product_code, product_line_code, balance_side_code, branch_code,
           CAST(average_daily_balance_cny AS DECIMAL(18, 2)) AS average_daily_balance_cny,
           CAST(interest_income AS DECIMAL(18, 2)) AS interest_income,
           CAST(interest_expense AS DECIMAL(18, 2)) AS interest_expense,
           CAST(ftp_charge AS DECIMAL(18, 2)) AS ftp_charge, CAST(ftp_credit AS DECIMAL(18, 2)) AS ftp_credit,
           net_interest_contribution, CAST(fee_income AS DECIMAL(18, 2)) AS fee_income, output_vat,
           vat_surcharges, allocated_operating_cost,
           CAST(expected_loss AS DECIMAL(18, 2)) AS expected_loss, CAST(credit_cost AS DECIMAL(18, 2)) AS credit_cost,
           net_contribution, CAST(round(net_contribution * 0.25, 2) AS DECIMAL(18, 2)) AS income_tax,
           CAST(economic_capital AS DECIMAL(18, 2)) AS economic_capital, capital_charge,
           CAST(net_contribution - CAST(round(net_contribution * 0.25, 2) AS DECIMAL(18, 2)) - capital_charge
                AS DECIMAL(18, 2)) AS economic_profit
    FROM nc;
-- the bridge to the ledger: the ledger books no interest and 777.00 of fees a month, and 1,400.00 of expense
CREATE TABLE marts.fct_profit_bridge_monthly AS
    WITH f AS (
        SELECT month_start, product_line_code, sum(net_contribution) AS nc, sum(credit_cost) AS credit_cost,
               sum(output_vat) AS output_vat, sum(vat_surcharges) AS vat_surcharges,
               sum(ftp_charge) - sum(ftp_credit) AS ftp, sum(interest_income) - sum(interest_expense) AS nii,
               sum(fee_income) AS fees
        FROM marts.fct_contribution_monthly GROUP BY ALL
    ), lines AS (
        SELECT month_start, 'CUSTOMER_' || product_line_code AS line_code, '客户贡献' AS line_group, nc AS amount
        FROM f
        UNION ALL SELECT month_start, 'ADD_BACK_CREDIT_COST', '加回', sum(credit_cost) FROM f GROUP BY ALL
        UNION ALL SELECT month_start, 'ADD_BACK_OUTPUT_VAT', '加回', sum(output_vat) FROM f GROUP BY ALL
        UNION ALL SELECT month_start, 'ADD_BACK_VAT_SURCHARGES', '加回', sum(vat_surcharges) FROM f GROUP BY ALL
        UNION ALL SELECT month_start, 'FTP_CENTRE_MISMATCH', 'FTP中心', sum(ftp) FROM f GROUP BY ALL
        UNION ALL SELECT month_start, 'NON_CUSTOMER_INTEREST', '非客户项目', -sum(nii) FROM f GROUP BY ALL
        UNION ALL SELECT month_start, 'NON_CUSTOMER_FEES', '非客户项目', 777.00 - sum(fees) FROM f GROUP BY ALL
    )
    SELECT month_start, line_code, line_group, line_code AS step_name, CAST(amount AS DECIMAL(18, 2)) AS amount
    FROM lines;
CREATE TABLE marts.fct_account_balances_monthly AS
    SELECT month_start, account_id, product_code,
           CASE WHEN product_code = 'P_CARD' THEN CAST(-25.00 AS DECIMAL(18, 2)) ELSE average_daily_balance_cny END
               AS average_daily_balance,
           average_daily_balance_cny AS month_end_balance
    FROM marts.fct_contribution_monthly;
CREATE TABLE marts.rpt_customer_value AS
    SELECT month_start, party_id, CAST(sum(CASE WHEN product_line_code IN ('DEPOSIT', 'WEALTH')
               THEN average_daily_balance_cny ELSE 0 END) AS DECIMAL(18, 2)) AS aum_cny,
           CASE WHEN party_id = 'C1' THEN 'VIP' ELSE 'MASS' END AS aum_tier_code,
           CASE WHEN sum(net_contribution) > 0 THEN 'CORE' ELSE 'LOSS' END AS value_tier_code
    FROM marts.fct_contribution_monthly GROUP BY ALL;
-- continuous balances: no breaks (a row is a break, named)
CREATE TABLE marts.rpt_balance_continuity_breaks (
    month_start DATE, account_id VARCHAR, account_source VARCHAR, balance_on DATE,
    previous_closing_balance DECIMAL(18, 2), posted_amount DECIMAL(18, 2), expected_closing_balance DECIMAL(18, 2),
    closing_balance DECIMAL(18, 2), difference DECIMAL(18, 2));
CREATE TABLE marts.fct_branch_costs_monthly AS
    SELECT m.month_start, c.cost_centre_code, c.branch_code,
           CAST(c.gl AS DECIMAL(18, 2)) AS gl_operating_expense, CAST(c.allocated AS DECIMAL(18, 2)) AS allocated_amount
    FROM (VALUES (DATE '2025-01-01'), (DATE '2025-02-01'), (DATE '2025-03-01')) m(month_start)
    CROSS JOIN (VALUES ('CC1', 'B1', 900.00, 600.00), ('CC1', 'B2', 0.00, 300.00), ('CC2', 'B2', 500.00, 500.00))
        c(cost_centre_code, branch_code, gl, allocated);
DROP TABLE accounts;
"""


def build_marts_fixture(path: Path, contracts: ContractSet | None = None) -> None:
    """Write a small published warehouse (marts plus the ledger they reconcile to) to ``path`` (must not exist)."""
    contracts = contracts or load_contracts()
    ledger = contracts.get("accounting.ledger_entries")
    con = duckdb.connect(str(path))
    try:
        ingest_audit.ensure_schema(con, contracts.contracts)
        con.execute(_MARTS_SQL)
        rows = []
        for batch, month in enumerate(MARTS_MONTHS, 1):
            posted = month + timedelta(days=9)
            ingest_audit.insert_delivery(con, {"batch_id": batch, "system": "accounting", "business_date": posted,
                                               "status": ingest_audit.LOADED})
            # 1,000.00 + 500.00 booked, 100.00 reversed: 1,400.00 of operating expense; the fee line is not opex
            for n, (account, centre, flag, amount) in enumerate(
                [("6601001", "CC1", "D", "1000.00"), ("6601002", "CC2", "D", "500.00"),
                 ("6601001", "CC1", "C", "100.00"), ("6021001", "CC1", "C", "777.00")]
            ):
                loaded_at = datetime.combine(posted, datetime.min.time())
                rows.append([f"E{batch}{n}", posted, account, centre, "CNY", flag, Decimal(amount), None,
                             batch, posted, ledger.file_name(posted), n + 1, loaded_at])
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f"INSERT INTO raw.{ledger.raw_table} VALUES ({marks})", rows)
        con.execute("CHECKPOINT")
    finally:
        con.close()
