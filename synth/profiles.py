"""Generator profiles: which bank ``crmwh generate --profile NAME`` writes (docs/synthetic-bank.md).

- ``default``: the Chinese demo bank of ``contracts/bank.yaml`` (CNY, every calendar day, GBK files, cards);
- ``euro_retail``: a Czech retail bank (``synth/profiles/euro_retail.yaml``): CZK reporting currency (the FX extract
  quotes CZK at 1), no card system, weekends and Czech holidays off, Latin-script names with diacritics in UTF-8
  files, joint accounts and authorised users.

The same world is simulated for every profile (every calendar day); a profile then reshapes what is delivered:

- **business days**: a row the world dates on a day off goes to the next business day's delivery (a bank closed at
  the weekend posts Saturday's card payment on Monday), or, after the month's last business day, back to that day
  (the month's books close on it: the month-end balance snapshot and the interest accruals are delivered there). Date
  columns equal to the row's original delivery date (other than months such as ``plan_month``) move with it; of
  several versions of one record landing in the same delivery (a Friday, Saturday and Sunday balance), the latest is
  kept;
- **currencies**: relabelled (CNY → CZK, HKD → GBP); the FX extract quotes CZK at 1 and keeps the simulated rates
  (the ledger is booked at them), so they are not market levels;
- **names**: ``synth.latin``;
- **optional fields** the bank profile lists (``optional_fields``): left empty in every row.

A non-default profile writes its bank profile as ``<landing>/bank.yaml``: ``CRMWH_BANK_PROFILE`` must name it for
``crmwh build`` (and every other command) to read the deliveries as that bank's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np

from contracts.contract import Contract
from contracts.profile import BankProfile, parse_profile
from synth import GenerateError
from synth.flows import WDL
from synth.reference import K_DEMAND, CostCentres
from synth.world import World

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT = "default"
PROFILE_FILE_IN_LANDING = "bank.yaml"


@dataclass(frozen=True)
class GeneratorProfile:
    name: str
    description: str
    bank_file: Path | None = None  # None: contracts/bank.yaml (the default bank)
    latin_names: bool = False
    overdrafts: int = 0  # personal current accounts overdrawn once during the horizon (add_overdrafts)
    # old currency code -> new code (the first one the reporting currency). The FX rates keep their values: the
    # general ledger is booked at them, so restating them would break the ledger's reconciliation
    currencies: dict[str, str] = field(default_factory=dict)

    def bank_profile(self) -> BankProfile | None:
        return parse_profile(self.bank_file) if self.bank_file is not None else None


PROFILES: dict[str, GeneratorProfile] = {
    DEFAULT: GeneratorProfile(DEFAULT, "the Chinese demo bank (contracts/bank.yaml): CNY, every day, GBK, cards"),
    "euro_retail": GeneratorProfile(
        "euro_retail",
        "a Czech retail bank: CZK, no cards, weekends and holidays off, UTF-8 Latin names with diacritics",
        bank_file=PROFILES_DIR / "euro_retail.yaml", latin_names=True, overdrafts=15,
        currencies={"CNY": "CZK", "USD": "USD", "HKD": "GBP", "EUR": "EUR"},
    ),
}


def get_profile(name: str) -> GeneratorProfile:
    if name not in PROFILES:
        raise GenerateError(f"no generator profile {name!r}; known: {', '.join(PROFILES)}")
    return PROFILES[name]


def drop_card_centre(world: World) -> None:
    """A bank without a card system has no card centre: no costs booked where no card could carry them."""
    cc = world.cost_centres
    keep = cc.department != "CARD"
    world.cost_centres = CostCentres(**{f: getattr(cc, f)[keep] for f in CostCentres.__dataclass_fields__})


def delivery_day_map(contract: Contract, dates: list[date]) -> dict[date, date | None]:
    """Where each world date's rows of ``contract`` are delivered (None: after the horizon's last business day)."""
    cal = contract.calendar
    business = [d for d in dates if cal.is_business_day(d)]
    out: dict[date, date | None] = {}
    for d in dates:
        if cal.is_business_day(d):
            out[d] = d
            continue
        month_days = [b for b in business if (b.year, b.month) == (d.year, d.month)]
        later_in_month = [b for b in month_days if b > d]
        if later_in_month:
            out[d] = later_in_month[0]
        elif month_days and cal.last_business_day(d.year, d.month) == month_days[-1]:
            out[d] = month_days[-1]  # after the month's last business day: the month closes on it
        else:
            out[d] = None
    return out


def reshape(con: duckdb.DuckDBPyConnection, table: str, contract: Contract, dates: list[date],
            profile: GeneratorProfile) -> None:
    """Reshape the source table of ``contract`` for the profile's bank (see the module doc)."""
    bank = profile.bank_profile()
    for col in contract.columns:  # fields the bank cannot send: left empty (the contract's if_missing applies)
        if bank is not None and f"{contract.key}.{col.name}" in bank.optional_fields:
            con.execute(f'UPDATE {table} SET "{col.name}" = NULL')
    if profile.currencies:
        for col in contract.columns:
            if col.name == "currency":
                cases = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in profile.currencies.items())
                con.execute(f'UPDATE {table} SET currency = CASE currency {cases} ELSE currency END')
    if contract.calendar.every_day:
        return
    mapping = delivery_day_map(contract, dates)
    if contract.frequency == "month_end":
        mapping = {d: contract.calendar.last_business_day(d.year, d.month) for d in dates}
    con.execute("CREATE OR REPLACE TEMP TABLE _day_map (day DATE, to_day DATE)")
    con.executemany("INSERT INTO _day_map VALUES (?, ?)", [(d, t) for d, t in mapping.items()])
    dates_moved = ", ".join(
        f'CASE WHEN s."{c.name}" = s.biz_date THEN m.to_day ELSE s."{c.name}" END AS "{c.name}"'
        for c in contract.columns if c.type == "date" and not c.name.endswith("_month"))
    replace = f"REPLACE ({dates_moved}, m.to_day AS biz_date)" if dates_moved else "REPLACE (m.to_day AS biz_date)"
    keep = ""
    if contract.primary_key:
        key = ", ".join(f'"{k}"' for k in contract.primary_key)
        keep = f"QUALIFY row_number() OVER (PARTITION BY {key}, biz_date ORDER BY _orig_day DESC) = 1"
    con.execute(f"""
        CREATE OR REPLACE TABLE {table} AS
        SELECT * EXCLUDE (_orig_day) FROM (
            SELECT s.* {replace}, s.biz_date AS _orig_day
            FROM {table} s JOIN _day_map m ON m.day = s.biz_date WHERE m.to_day IS NOT NULL
        ) {keep}
    """)


def keep_changes_only(con: duckdb.DuckDBPyConnection, table: str, contract: Contract) -> None:
    """An extract the bank sends only on change (``on_change`` in its profile): keep the first delivery and the
    deliveries whose content differs from the one before (every row, in full); drop the others (unchanged)."""
    cols = ", ".join(f'"{c.name}"' for c in contract.columns)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _changed AS
        WITH digest AS (
            SELECT biz_date, sum(hash({cols}) % 1000000007) AS h, count(*) AS n FROM {table} GROUP BY biz_date
        )
        SELECT biz_date FROM (
            SELECT biz_date, h, n, lag(h) OVER (ORDER BY biz_date) AS h0, lag(n) OVER (ORDER BY biz_date) AS n0
            FROM digest
        ) WHERE h0 IS NULL OR h <> h0 OR n <> n0
    """)
    con.execute(f"DELETE FROM {table} WHERE biz_date NOT IN (SELECT biz_date FROM _changed)")


OVERDRAFT_CENTS = (50_00, 2_000_00)  # how far below zero an overdrawn account goes


def add_overdrafts(con: duckdb.DuckDBPyConnection, world: World, count: int) -> None:
    """Overdraw ``count`` personal current accounts (open through the horizon, of customers who stay): one late
    withdrawal on a day in the middle third takes the account below zero by 50 to 2,000, and every later balance
    moves with it, so that previous closing + postings = closing still holds (tables ``txn_t``, ``bal_rows_t``)."""
    a, c, cal = world.accounts, world.customers, world.cal
    rng = world.rng("overdrafts")
    pool = np.flatnonzero((a.kind == K_DEMAND) & ~c.corporate[a.cust] & (a.open_day < 0) & (a.close_day >= cal.days)
                          & (world.churn_day[a.cust] >= cal.days))
    if count <= 0 or len(pool) == 0 or cal.days < 3:
        return
    chosen = np.sort(rng.choice(pool, size=min(count, len(pool)), replace=False))
    days = rng.integers(cal.days // 3, max(2 * cal.days // 3, cal.days // 3 + 1), len(chosen))
    below = rng.integers(*OVERDRAFT_CENTS, len(chosen))
    con.execute("CREATE OR REPLACE TEMP TABLE _od (acct INTEGER, day INTEGER, below BIGINT)")
    con.executemany("INSERT INTO _od VALUES (?, ?, ?)",
                    [(int(x), int(d), int(b)) for x, d, b in zip(chosen, days, below, strict=True)])
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _od_amt AS
        SELECT o.acct, o.day, (SELECT b.bal FROM bal_rows_t b WHERE b.acct = o.acct AND b.day <= o.day
                               ORDER BY b.day DESC LIMIT 1) + o.below AS amount
        FROM _od o
    """)
    con.execute("DELETE FROM _od_amt WHERE amount IS NULL OR amount <= 0")
    con.execute(f"""
        INSERT INTO txn_t BY NAME
        SELECT o.acct::INTEGER AS acct, o.day::INTEGER AS day, (23 * 3600 + 30 * 60)::INTEGER AS sec,
               (SELECT max(t.txn_id) FROM txn_t t WHERE t.day = o.day) + row_number() OVER (ORDER BY o.acct)
                   AS txn_id,
               -1 AS original_id, {WDL}::TINYINT AS txn_type,
               1::TINYINT AS channel, false AS credit, o.amount, 0 AS fee, -1::INTEGER AS counterparty,
               false AS reversal
        FROM _od_amt o
    """)
    con.execute("""
        INSERT INTO bal_rows_t BY NAME
        SELECT o.acct::INTEGER AS acct, o.day::INTEGER AS day,
               (SELECT b.bal FROM bal_rows_t b WHERE b.acct = o.acct AND b.day < o.day ORDER BY b.day DESC LIMIT 1)
                   AS bal
        FROM _od_amt o WHERE NOT EXISTS (SELECT 1 FROM bal_rows_t b WHERE b.acct = o.acct AND b.day = o.day)
    """)
    con.execute("""
        UPDATE bal_rows_t SET bal = bal_rows_t.bal - o.amount FROM _od_amt o
        WHERE bal_rows_t.acct = o.acct AND bal_rows_t.day >= o.day
    """)

