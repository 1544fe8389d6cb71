"""The money macros of dbt_project/macros/money.sql, rendered as dbt renders them and run on DuckDB against exact
Decimal arithmetic: the 64-bit conversion to CNY rounds every amount and rate as the DECIMAL(38) product did."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import jinja2
import pytest

MACROS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "money.sql"


def _macros() -> jinja2.runtime.TemplateModule:
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    return env.from_string(MACROS.read_text(encoding="utf-8")).module


def _exact_cny(amount: Decimal, rate: Decimal) -> Decimal:
    # the old macro: amount at 2 decimals times rate at 6, rounded half away from zero to the cent
    return (amount.quantize(Decimal("0.01"), ROUND_HALF_UP) * rate.quantize(Decimal("0.000001"), ROUND_HALF_UP)
            ).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _cases() -> list[tuple[Decimal, Decimal]]:
    rng = random.Random(20261206)
    edges = [Decimal("999999999999.99"), Decimal("-999999999999.99"), Decimal("0.01"), Decimal("-0.01"),
             Decimal("0.00"), Decimal("0.05"), Decimal("-0.05"), Decimal("1234567.89"), Decimal("-100000000000.00")]
    rates = [Decimal("1.000000"), Decimal("7.123457"), Decimal("0.000001"), Decimal("0.500000"),
             Decimal("8999.999999"), Decimal("0.048765")]
    cases = [(a, r) for a in edges for r in rates]
    for _ in range(2000):
        amount = Decimal(rng.randint(-10**14, 10**14)) / 100
        rate = Decimal(rng.randint(1, 10**9)) / 10**6
        cases.append((amount, rate))
    return cases


def test_to_cny_rounds_half_away_from_zero_exactly_as_decimal_arithmetic() -> None:
    cases = _cases()
    sql = _macros().to_cny("amount", "rate")
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (i INTEGER, amount DECIMAL(18, 2), rate DECIMAL(12, 6))")
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, a, r) for i, (a, r) in enumerate(cases)])
        rows = con.execute(f"SELECT i, {sql}, typeof({sql}) FROM t ORDER BY i").fetchall()
        assert con.execute(f"SELECT {_macros().to_cny('NULL', 'rate')} FROM t LIMIT 1").fetchone() == (None,)
    for (i, got, kind), (amount, rate) in zip(rows, cases, strict=True):
        assert kind == "DECIMAL(18,2)"
        assert got == _exact_cny(amount, rate), (i, amount, rate)


def test_to_cny_beyond_its_bounds_stops_instead_of_rounding_wrong() -> None:
    sql = _macros().to_cny("amount", "rate")
    with duckdb.connect() as con, pytest.raises(duckdb.Error):
        con.execute(f"SELECT {sql} FROM (SELECT 9999999999999999.99::DECIMAL(18, 2) AS amount, "
                    f"999999.999999::DECIMAL(12, 6) AS rate)").fetchall()


def _exact_quotient(n: Decimal, d: Decimal, scale: int) -> Decimal | None:
    return None if d == 0 else (n / d).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP)


@pytest.mark.parametrize("scale", [2, 6])
@pytest.mark.parametrize(("n_type", "d_type"), [("DECIMAL(38, 2)", "INTEGER"), ("DECIMAL(18, 2)", "DECIMAL(18, 2)"),
                                                ("DECIMAL(38, 8)", "DECIMAL(38, 6)")])
def test_divide_round_is_exact_on_both_of_its_ways(scale: int, n_type: str, d_type: str) -> None:
    """Money over days or money (typed with at most 2 decimals: the 64-bit way, unless too large), rates and products
    at 6 to 8 decimals (the 128-bit way): each row rounds half away from zero exactly as Decimal does."""
    import decimal

    decimal.getcontext().prec = 60
    n_scale = int(n_type.split(",")[1].rstrip(")"))
    d_scale = 0 if d_type == "INTEGER" else int(d_type.split(",")[1].rstrip(")"))
    rng = random.Random(scale)
    pairs: list[tuple[Decimal, Decimal]] = [
        (Decimal("1"), Decimal("3")), (Decimal("-1"), Decimal("3")), (Decimal("5"), Decimal("2")),
        (Decimal("-5"), Decimal("2")), (Decimal("0.05"), Decimal("10")), (Decimal("-0.05"), Decimal("10")),
        (Decimal("7"), Decimal("0")), (Decimal("0"), Decimal("-7")), (Decimal("99999999999999.99"), Decimal("3")),
        (Decimal("-99999999999999.99"), Decimal("7")), (Decimal("9999999999.99"), Decimal("1")),
    ]
    if d_scale >= 2:
        pairs += [(Decimal("99999999999999.99"), Decimal("0.01")), (Decimal("-1.23"), Decimal("-0.5"))]
    if n_scale == 8:
        pairs += [(Decimal("12345678901.12345678"), Decimal("3")), (Decimal("0.00000001"), Decimal("0.000003"))]
    for _ in range(1500):
        # the domain of the macro: |n| < 10^14 (scaled to 12 decimals it fits DECIMAL(38))
        n = Decimal(rng.randint(-10**(13 + n_scale), 10**(13 + n_scale))).scaleb(-n_scale)
        d = Decimal(rng.randint(-10**(9 + d_scale), 10**(9 + d_scale))).scaleb(-d_scale)
        pairs.append((n, d))
    sql = _macros().divide_round("n", "d", scale)
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE t (i INTEGER, n {n_type}, d {d_type})")
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, n, d) for i, (n, d) in enumerate(pairs)])
        rows = con.execute(f"SELECT i, {sql}, typeof({sql}) FROM t ORDER BY i").fetchall()
    for (i, got, kind), (n, d) in zip(rows, pairs, strict=True):
        assert kind == f"DECIMAL(38,{scale})"
        assert got == _exact_quotient(n, d, scale), (i, n, d)
