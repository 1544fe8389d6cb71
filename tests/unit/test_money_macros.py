"""The money macros of dbt_project/macros/money.sql and allocation.sql, rendered as dbt renders them (with the
adapter's dispatch) and run against exact Decimal arithmetic: on DuckDB, and on Spark when pyspark and Java are there
(the spark__ implementations must round every value exactly as DuckDB's do). The 64-bit conversion to CNY rounds every
amount and rate as the DECIMAL(38) product did."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pytest

MACRO_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "macros"
MACROS = MACRO_DIR / "money.sql"
ENGINES = ["duckdb", "spark"]


class _Adapter:
    """dbt's ``adapter.dispatch`` for one engine: ``<engine>__name`` of the rendered macro files."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.modules: list[Any] = []

    def dispatch(self, name: str, _package: str) -> Callable[..., str]:
        for module in self.modules:
            if hasattr(module, f"{self.engine}__{name}"):
                return getattr(module, f"{self.engine}__{name}")
        raise LookupError(f"no {self.engine}__{name}")


def _macros(engine: str = "duckdb", path: Path = MACROS) -> Any:
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    adapter = _Adapter(engine)
    env.globals.update(adapter=adapter, **{"return": lambda value: value})
    adapter.modules = [env.from_string((MACRO_DIR / name).read_text(encoding="utf-8")).module
                       for name in ("money.sql", "allocation.sql")]
    module = env.from_string(path.read_text(encoding="utf-8")).module
    adapter.modules.insert(0, module)
    return module


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A local Spark session configured as dbt-spark runs it (ANSI off); skipped without pyspark or Java."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no Java for Spark")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("crmwh-money-macros")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.ansi.enabled", "false").config("spark.sql.shuffle.partitions", "1")
               .getOrCreate())
    yield session
    session.stop()


def _query(engine: str, request: pytest.FixtureRequest, columns: str, rows: list[tuple[Any, ...]],
           select: str) -> list[tuple[Any, ...]]:
    """Rows of ``select`` (over table ``t`` holding ``rows`` with DDL ``columns``) on one engine."""
    if engine == "duckdb":
        with duckdb.connect() as con:
            con.execute(f"CREATE TABLE t ({columns})")
            con.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(rows[0]))})", rows)
            return con.execute(select).fetchall()
    session = request.getfixturevalue("spark")
    session.createDataFrame(rows, schema=columns).createOrReplaceTempView("t")
    return [tuple(row) for row in session.sql(select).collect()]


def _type_name(engine: str, precision: int, scale: int) -> str:
    return f"DECIMAL({precision},{scale})" if engine == "duckdb" else f"decimal({precision},{scale})"


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


@pytest.mark.parametrize("engine", ENGINES)
def test_to_cny_rounds_half_away_from_zero_exactly_as_decimal_arithmetic(
        engine: str, request: pytest.FixtureRequest) -> None:
    cases = _cases()
    sql = _macros(engine).to_cny("amount", "rate")
    rows = _query(engine, request, "i INTEGER, amount DECIMAL(18, 2), rate DECIMAL(12, 6)",
                  [(i, a, r) for i, (a, r) in enumerate(cases)], f"SELECT i, {sql}, typeof({sql}) FROM t ORDER BY i")
    null_sql = _macros(engine).to_cny("NULL", "rate")
    assert _query(engine, request, "rate DECIMAL(12, 6)", [(Decimal(1),)], f"SELECT {null_sql} FROM t") == [(None,)]
    for (i, got, kind), (amount, rate) in zip(rows, cases, strict=True):
        assert kind == _type_name(engine, 18, 2)
        assert got == _exact_cny(amount, rate), (i, amount, rate)


def test_to_cny_beyond_its_bounds_stops_instead_of_rounding_wrong() -> None:
    sql = _macros().to_cny("amount", "rate")
    with duckdb.connect() as con, pytest.raises(duckdb.Error):
        con.execute(f"SELECT {sql} FROM (SELECT 9999999999999999.99::DECIMAL(18, 2) AS amount, "
                    f"999999.999999::DECIMAL(12, 6) AS rate)").fetchall()


def _exact_quotient(n: Decimal, d: Decimal, scale: int) -> Decimal | None:
    return None if d == 0 else (n / d).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("scale", [0, 2, 6])
@pytest.mark.parametrize(("n_type", "d_type"), [("DECIMAL(38, 2)", "INTEGER"), ("DECIMAL(18, 2)", "DECIMAL(18, 2)"),
                                                ("DECIMAL(38, 8)", "DECIMAL(38, 6)")])
def test_divide_round_is_exact_on_both_of_its_ways(scale: int, n_type: str, d_type: str, engine: str,
                                                   request: pytest.FixtureRequest) -> None:
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
    sql = _macros(engine).divide_round("n", "d", scale)
    rows = _query(engine, request, f"i INTEGER, n {n_type}, d {d_type}",
                  [(i, n, int(d) if d_type == "INTEGER" else d) for i, (n, d) in enumerate(pairs)],
                  f"SELECT i, {sql}, typeof({sql}) FROM t ORDER BY i")
    for (i, got, kind), (n, d) in zip(rows, pairs, strict=True):
        assert kind == _type_name(engine, 38, scale)
        assert got == _exact_quotient(n, d, scale), (i, n, d)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("scale", [0, 2, 6])
def test_divide_round_takes_a_product_of_branch_totals(scale: int, engine: str,
                                                       request: pytest.FixtureRequest) -> None:
    """A product of two sums of money, as 量价分析 divides it (ΔADB × last month's NII / last month's ADB per branch and
    product line: 2 × 10^14 and more at scale 1, where the 128-bit way overflowed scaling it to 12 decimals), is
    divided exactly up to |n| < 10^19 (DECIMAL(38, 4) / DECIMAL(38, 2))."""
    import decimal

    decimal.getcontext().prec = 60
    rng = random.Random(1000 + scale)
    pairs: list[tuple[Decimal, Decimal]] = [
        (Decimal("-19810049219681.7611"), Decimal("123456789.01")),
        (Decimal("9999999999999999999.9999"), Decimal("3.00")), (Decimal("-9999999999999999999.9999"), Decimal("7")),
        (Decimal("5000000000000000000.0000"), Decimal("0.02")), (Decimal("1.0000"), Decimal("0")),
    ]
    for _ in range(1500):
        n = Decimal(rng.randint(-10**23, 10**23)).scaleb(-4)
        d = Decimal(rng.randint(-10**14, 10**14)).scaleb(-2)
        pairs.append((n, d))
    sql = _macros(engine).divide_round("n", "d", scale)
    rows = _query(engine, request, "i INTEGER, n DECIMAL(38, 4), d DECIMAL(38, 2)",
                  [(i, n, d) for i, (n, d) in enumerate(pairs)], f"SELECT i, {sql} FROM t ORDER BY i")
    for (i, got), (n, d) in zip(rows, pairs, strict=True):
        assert got == _exact_quotient(n, d, scale), (i, n, d)


def _exact_allocation(rows: list[tuple[int, int, Decimal, Decimal]]) -> dict[int, Decimal]:
    """Largest-remainder split in cents of each group's amount by weight (ties to the lower row id), in Decimal."""
    groups: dict[int, list[tuple[int, Decimal, Decimal]]] = {}
    for row_id, group, amount, weight in rows:
        groups.setdefault(group, []).append((row_id, amount, weight))
    result: dict[int, Decimal] = {}
    for members in groups.values():
        amount = members[0][1]
        cents = abs(amount) * 100
        units = [(row_id, (weight * 10**6).quantize(Decimal(1), ROUND_HALF_UP)) for row_id, _, weight in members]
        total = sum(u for _, u in units)
        floors = {row_id: (cents * u) // total if total else Decimal(0) for row_id, u in units}
        remainders = sorted(units, key=lambda item: (-((cents * item[1]) % total if total else 0), item[0]))
        leftover = cents - sum(floors.values())
        for rank, (row_id, _) in enumerate(remainders, start=1):
            bump = 1 if total and rank <= leftover else 0
            result[row_id] = ((floors[row_id] + bump) * (1 if amount >= 0 else -1) / 100).quantize(Decimal("0.01"))
    return result


@pytest.mark.parametrize("engine", ENGINES)
def test_allocate_cents_splits_exactly_to_the_cent(engine: str, request: pytest.FixtureRequest) -> None:
    """Every group's allocations sum to its amount and match the exact largest-remainder split, on both engines."""
    import decimal

    decimal.getcontext().prec = 60
    rng = random.Random(18)
    rows: list[tuple[int, int, Decimal, Decimal]] = []
    amounts = [Decimal("0.01"), Decimal("-0.05"), Decimal("100.00"), Decimal("-999999999999.99"),
               Decimal("9999999999999999.99"), Decimal("0.00"), Decimal("1.00")]
    for group in range(300):
        amount = amounts[group] if group < len(amounts) else Decimal(rng.randint(-10**14, 10**14)) / 100
        weights = ([Decimal(0)] * 3 if group == len(amounts) - 1
                   else [Decimal(rng.randint(0, 10**12)) / 10**6 for _ in range(rng.randint(1, 7))])
        rows += [(len(rows) + k, group, amount, w) for k, w in enumerate(weights)]
    sql = _macros(engine, MACRO_DIR / "allocation.sql").allocate_cents("t", "amount", "weight", ["grp"], ["row_id"])
    got = _query(engine, request, "row_id INTEGER, grp INTEGER, amount DECIMAL(18, 2), weight DECIMAL(18, 6)", rows,
                 f"SELECT row_id, allocated_amount, typeof(allocated_amount) FROM ({sql}) AS a ORDER BY row_id")
    expected = _exact_allocation(rows)
    assert len(got) == len(rows)
    for row_id, allocated, kind in got:
        assert kind == _type_name(engine, 18, 2)
        assert allocated == expected[row_id], row_id
