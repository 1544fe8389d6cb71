"""The cubes Superset serves, read from the dbt yml of the marts (one source of truth).

Each mart model exposed as a cube carries ``config.meta.superset`` in its yml: the cube name, its title in Chinese
and English, the time column, which conformed dimensions to join (``joins``), columns to hide, Chinese/English names
of its own columns and its metrics as SQL expressions with a unit. Column descriptions are the yml ``description``.

A Superset dataset is one table, so every cube is a *virtual* dataset: a SELECT of the fact's columns joined to the
dimension attributes needed for slicing (date year → quarter → month, branch region → branch → sub-branch, product
line → category → product, customer segment/tier, RM, channel). The select list is explicit, so no column reaches
Superset unless named here or in the yml; :data:`PII_MARKERS` guards against names, ID numbers, phones, addresses
and card/account numbers, and nothing reads the ``restricted_pii`` schema.

Standard library + PyYAML only: runs in the warehouse ``.venv`` (generator, tests) and in ``.venv-superset``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contracts.errors import CrmwhError

REPO_ROOT = Path(__file__).resolve().parent.parent
MARTS_DIR = REPO_ROOT / "dbt_project" / "models" / "marts"
MARTS_SCHEMA = "marts"

# Parts of column names that mean personal data, or a card/account number; no dataset may expose one.
PII_MARKERS = (
    "name_masked",
    "customer_name",
    "id_number",
    "phone",
    "mobile",
    "address",
    "birth",
    "email",
    "account_id",
    "card_no",
    "survivor_cif",
)

# libyaml when present: the marts yml are large and the pure-Python parser takes seconds.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

UNITS = ("yuan", "wan", "yi", "pct", "count", "ratio")

# A monthly cube's label of its month: 完整月 (complete) or 月初至今 (month to date, the running month); whether a
# month is complete is decided once, in the warehouse (int_month_watermarks), and carried by every monthly mart.
MONTH_COMPLETE = "完整月"
MONTH_TO_DATE = "月初至今"
MONTH_STATUS_SQL = f"CASE WHEN f.is_month_complete THEN '{MONTH_COMPLETE}' ELSE '{MONTH_TO_DATE}' END"
MONTH_STATUS_DESCRIPTION = (
    f"Month status — {MONTH_COMPLETE} (the month end is delivered) or {MONTH_TO_DATE} (the running month, its figures "
    "cover the days delivered so far)"
)


class CubeError(CrmwhError, ValueError):
    """The ``meta.superset`` block of a mart model is unusable; the message names the yml file and the model."""


class UnknownName(CubeError, KeyError):
    """A chart or filter names a column or metric its cube does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    en: str
    description: str
    expression: str
    is_dttm: bool = False
    type: str | None = None


@dataclass(frozen=True)
class Metric:
    name: str
    zh: str
    en: str
    sql: str
    unit: str

    @property
    def expression(self) -> str:
        # Multiplying a DECIMAL by an exact DECIMAL literal stays DECIMAL in DuckDB (dividing would give DOUBLE).
        if self.unit == "wan":
            return f"({self.sql}) * 0.0001"
        if self.unit == "yi":
            return f"({self.sql}) * 0.00000001"
        return self.sql

    @property
    def verbose_name(self) -> str:
        suffix = {"wan": "（万元）", "yi": "（亿元）", "yuan": "（元）"}.get(self.unit, "")
        return f"{self.zh}{suffix}"

    @property
    def d3format(self) -> str:
        return {"pct": ".2%", "count": ",d", "ratio": ",.2f"}.get(self.unit, ",.2f")


@dataclass(frozen=True)
class Cube:
    name: str
    model: str
    zh: str
    en: str
    description: str
    time_column: str
    sql: str
    columns: tuple[Column, ...]
    metrics: tuple[Metric, ...]
    branch_filtered: bool = True
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise UnknownName(f"cube {self.name} has no column {name!r}")

    def metric(self, name: str) -> Metric:
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise UnknownName(f"cube {self.name} has no metric {name!r}")


@dataclass(frozen=True)
class DimAttr:
    name: str
    expression: str
    zh: str
    en: str
    is_dttm: bool = False
    type: str | None = None


@dataclass(frozen=True)
class Dimension:
    """A conformed dimension joined to a fact: ``{key}`` is the fact's join column."""

    alias: str
    join: str
    attributes: tuple[DimAttr, ...]
    implies: tuple[tuple[str, str], ...] = ()  # further joins through this one: (dimension, key expression)


# A level above the branch's own has no name of its own (an account booked at a 支行 has no 网点, one at head office
# no 分行): charts and filters name it after the level that holds it (…本部, 总行) rather than show an empty category.
_BRANCH = (
    DimAttr("region_code", "b.region_code", "分行代码", "Region (分行) code"),
    DimAttr("region_name", "coalesce(b.region_name, '总行')", "分行", "Region (分行)"),
    DimAttr("level3_branch_code", "b.level3_branch_code", "支行代码", "Branch (支行) code"),
    DimAttr(
        "level3_branch_name", "coalesce(b.level3_branch_name, b.region_name || '本部', '总行')", "支行", "Branch (支行)"
    ),
    DimAttr("sub_branch_code", "b.sub_branch_code", "网点代码", "Sub-branch (网点) code"),
    DimAttr(
        "sub_branch_name",
        "coalesce(b.sub_branch_name, b.level3_branch_name || '本部', b.region_name || '本部', '总行')",
        "网点",
        "Sub-branch (网点)",
    ),
    DimAttr("branch_name", "b.branch_name", "机构", "Branch or sub-branch"),
)

DIMENSIONS: dict[str, Dimension] = {
    "branch": Dimension("b", "LEFT JOIN marts.dim_branch AS b ON b.branch_code = {key}", _BRANCH),
    "product": Dimension(
        "p",
        "LEFT JOIN marts.dim_product AS p ON p.product_code = {key}",
        (
            DimAttr("product_line_code", "p.product_line_code", "产品线代码", "Product line code"),
            DimAttr("product_line_name", "p.product_line_name", "产品线", "Product line"),
            DimAttr("category_code", "p.category_code", "产品类别代码", "Product category code"),
            DimAttr("category_name", "p.category_name", "产品类别", "Product category"),
            DimAttr("product_name", "p.product_name", "产品", "Product"),
        ),
    ),
    "rm": Dimension(
        "r",
        "LEFT JOIN marts.dim_relationship_manager AS r ON r.rm_id = {key}",
        (
            DimAttr("rm_type_name", "r.rm_type_name", "客户经理类型", "RM type"),
            DimAttr("rm_grade_name", "r.rm_grade_name", "客户经理职级", "RM grade"),
        ),
    ),
    "customer": Dimension(
        "c",
        "LEFT JOIN marts.dim_customer AS c ON c.customer_key = {key}",
        (
            DimAttr("segment_code", "c.segment_code", "客群代码", "Segment code"),
            DimAttr("segment_name", "c.segment_name", "客群", "Segment"),
            DimAttr("customer_type_name", "c.customer_type_name", "客户类型名称", "Customer type"),
            DimAttr("aum_tier_code", "c.aum_tier_code", "AUM层级", "AUM tier"),
            DimAttr("aum_tier_name_zh", "c.aum_tier_name_zh", "AUM层级名称", "AUM tier name"),
        ),
    ),
    # Party-grain reports: today's customer version, and the branch hierarchy of its home branch.
    "party": Dimension(
        "c",
        "LEFT JOIN marts.dim_customer AS c ON c.party_id = {key} AND c.is_current",
        (
            DimAttr("segment_code", "c.segment_code", "客群代码", "Segment code"),
            DimAttr("segment_name", "c.segment_name", "客群", "Segment"),
            DimAttr("customer_type_name", "c.customer_type_name", "客户类型名称", "Customer type"),
            DimAttr("aum_tier_code", "c.aum_tier_code", "AUM层级", "AUM tier"),
            DimAttr("aum_tier_name_zh", "c.aum_tier_name_zh", "AUM层级名称", "AUM tier name"),
            DimAttr("rm_id", "c.rm_id", "客户经理", "RM"),
            DimAttr("branch_code", "c.home_branch_code", "归属机构代码", "Home branch code"),
        ),
        implies=(("branch", "c.home_branch_code"),),
    ),
    "channel": Dimension(
        "ch",
        "LEFT JOIN marts.dim_channel AS ch ON ch.channel_key = {key}",
        (
            DimAttr("channel_name_zh", "ch.channel_name_zh", "渠道", "Channel"),
            DimAttr("channel_name_en", "ch.channel_name_en", "渠道（英文）", "Channel (English)"),
            DimAttr("is_digital", "ch.is_digital", "是否线上", "Digital channel"),
        ),
    ),
}


def _date_attrs(time_column: str) -> tuple[DimAttr, ...]:
    t = f"f.{time_column}"
    return (
        DimAttr("year_number", f"year({t})", "年", "Year"),
        DimAttr("quarter_label", f"strftime({t}, '%Y') || '-Q' || quarter({t})", "季度", "Quarter"),
        DimAttr("year_month", f"strftime({t}, '%Y-%m')", "年月", "Month"),
    )


def _text(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CubeError(f"{where}: {key} must be a non-empty text")
    return value.strip()


def _is_date(name: str) -> bool:
    return name == "month_start" or name.endswith("_on") or name.endswith("_month") or name == "as_of_month"


def cube_from_model(model: dict[str, Any], where: str) -> Cube:
    meta = ((model.get("config") or {}).get("meta") or {}).get("superset") or (model.get("meta") or {}).get("superset")
    if not meta:
        raise CubeError(f"{where}: no meta.superset block")
    model_name = model["name"]
    cube = _text(meta.get("cube"), where, "cube")
    title = meta.get("title") or {}
    zh, en = _text(title.get("zh"), where, "title.zh"), _text(title.get("en"), where, "title.en")
    time_column = _text(meta.get("time_column"), where, "time_column")
    hidden = set(meta.get("hidden") or [])
    names: dict[str, Any] = meta.get("columns") or {}
    yml_columns = model.get("columns") or []
    known = {c["name"] for c in yml_columns}
    for name in [*hidden, *names, time_column]:
        if name not in known:
            raise CubeError(f"{where}: column {name!r} named in meta.superset is not a column of the model")

    columns: list[Column] = []
    for col in yml_columns:
        name = col["name"]
        if name in hidden:
            continue
        label = names.get(name) or {}
        col_en = label.get("en") or name.replace("_", " ")
        columns.append(
            Column(
                name=name,
                zh=label.get("zh") or col_en,
                en=col_en,
                description=f"{col_en} — {col.get('description', '').strip()}".strip(" —"),
                expression=f"f.{name}",
                is_dttm=_is_date(name),
                type="DATE" if _is_date(name) else None,
            )
        )
    own = {c.name for c in columns} | hidden
    joins: dict[str, str] = meta.get("joins") or {}
    select = [f"{c.expression} AS {c.name}" for c in columns]
    clauses: list[str] = []
    pending = [(dim, f"f.{key}") for dim, key in joins.items()]
    for dim, key in list(pending):
        if dim not in DIMENSIONS:
            raise CubeError(f"{where}: unknown dimension {dim!r} in joins (known: {', '.join(DIMENSIONS)})")
        if key.removeprefix("f.") not in known:
            raise CubeError(f"{where}: join key {key!r} of {dim} is not a column of the model")
        pending.extend(DIMENSIONS[dim].implies)
    seen: set[str] = set()
    for dim, key in pending:
        if dim in seen:
            continue
        seen.add(dim)
        dimension = DIMENSIONS[dim]
        clauses.append(dimension.join.format(key=key))
        for attr in dimension.attributes:
            if attr.name in own:
                continue
            own.add(attr.name)
            select.append(f"{attr.expression} AS {attr.name}")
            columns.append(Column(attr.name, attr.zh, attr.en, f"{attr.en} ({dim} dimension)", attr.expression))
    for attr in _date_attrs(time_column):
        select.append(f"{attr.expression} AS {attr.name}")
        columns.append(Column(attr.name, attr.zh, attr.en, f"{attr.en} of {time_column}", attr.expression))
    if "is_month_complete" in known and "is_month_complete" not in hidden:
        # the month-status filter of the dashboards (filters.MONTH_STATUS) picks complete months by default
        select.append(f"{MONTH_STATUS_SQL} AS month_status")
        columns.append(
            Column("month_status", "月份状态", "Month status", MONTH_STATUS_DESCRIPTION, MONTH_STATUS_SQL)
        )
    sql = "SELECT\n    " + ",\n    ".join(select) + f"\nFROM {MARTS_SCHEMA}.{model_name} AS f"
    if clauses:
        sql += "\n" + "\n".join(clauses)

    metrics = tuple(_metric(m, where) for m in meta.get("metrics") or [])
    if not metrics:
        raise CubeError(f"{where}: a cube needs at least one metric")
    return Cube(
        name=cube,
        model=model_name,
        zh=zh,
        en=en,
        description=f"{zh} — {en}. {model.get('description', '').strip()}",
        time_column=time_column,
        sql=sql,
        columns=tuple(columns),
        metrics=metrics,
        branch_filtered=any(c.name == "level3_branch_code" for c in columns),
        source=where,
    )


def _metric(spec: dict[str, Any], where: str) -> Metric:
    name = _text(spec.get("name"), where, "metric name")
    unknown = set(spec) - {"name", "zh", "en", "sql", "unit"}
    if unknown:
        # A comma inside an unquoted flow-style value splits it into a stray key: quote SQL with commas.
        raise CubeError(f"{where}: metric {name}: unknown keys {sorted(unknown)} (quote SQL that has commas)")
    unit = spec.get("unit")
    if unit not in UNITS:
        raise CubeError(f"{where}: metric {name}: unit {unit!r} is not one of {', '.join(UNITS)}")
    return Metric(
        name=name,
        zh=_text(spec.get("zh"), where, f"metric {name} zh"),
        en=_text(spec.get("en"), where, f"metric {name} en"),
        sql=_text(spec.get("sql"), where, f"metric {name} sql"),
        unit=unit,
    )


def contribution_steps(summary: Cube) -> Cube:
    """The waterfall in long form: one row per summary row and step, costs negative.

    It unrolls the contribution summary (``rpt_contribution_summary_monthly``: the fact summed to the grain the
    dashboards slice by), not the account-level fact: the same chart over every month of the fact took seconds at
    scale 1 (bench/README.md)."""
    slicers = {
        summary.time_column,
        "customer_type_code",
        "customer_type_name",
        "segment_code",
        "segment_name",
        "aum_tier_code",
        "aum_tier_name_zh",
        "product_code",
        "product_line_code",
        "balance_side_code",
        "branch_code",
        "rm_id",
        "account_source",
        "is_month_complete",
    }
    keep = [c for c in summary.columns if c.name in slicers or not c.expression.startswith("f.")]
    dims = ",\n    ".join(f"cube.{c.name}" for c in keep)
    steps = (
        ("1 净利息贡献 NIC", "net_interest_contribution", ""),
        ("2 手续费收入 Fees", "fee_income", ""),
        ("3 增值税 VAT", "output_vat", "-"),
        ("4 增值税附加 VAT surcharges", "vat_surcharges", "-"),
        ("5 运营成本 Cost", "allocated_operating_cost", "-"),
        ("6 信用成本 Credit cost", "credit_cost", "-"),
        ("7 所得税 Income tax", "income_tax", "-"),
        ("8 资本成本 Capital charge", "capital_charge", "-"),
    )
    values = ", ".join(f"('{label}', {sign}cube.{col})" for label, col, sign in steps)
    sql = (
        f"SELECT\n    {dims},\n    step.step_name,\n    step.amount\nFROM ({summary.sql}) AS cube\n"
        f"CROSS JOIN LATERAL (VALUES {values}) AS step(step_name, amount)"
    )
    columns = (
        *keep,
        Column("step_name", "贡献步骤", "Waterfall step", "Step of the contribution waterfall", "step_name"),
        Column("amount", "金额", "Amount", "Signed amount of the step (costs negative), CNY", "amount"),
    )
    return Cube(
        name="contribution_steps",
        model=summary.model,
        zh="贡献瀑布",
        en="Contribution waterfall steps",
        description="贡献瀑布 — contribution waterfall in long form: net interest contribution, fees, minus VAT and "
        "its surcharges, cost, credit cost, income tax and capital charge; the steps add up to economic profit.",
        time_column=summary.time_column,
        sql=sql,
        columns=columns,
        metrics=(Metric("amount", "金额", "Amount", "SUM(amount)", "wan"),),
        branch_filtered=True,
        source=summary.source,
    )


def data_quality() -> Cube:
    """``quality.validation_results`` (written by the GX step, see expectations/results.py): no branch, no PII."""
    names = {
        "run_id": ("运行编号", "Run id"),
        "run_at": ("运行时间", "Run at"),
        "stage": ("阶段", "Stage"),
        "suite": ("检查套件", "Suite"),
        "expectation": ("检查规则", "Expectation"),
        "severity": ("严重程度", "Severity"),
        "success": ("是否通过", "Passed"),
        "observed_value": ("观测值", "Observed value"),
    }
    columns = [
        Column(n, zh, en, en, f"q.{n}", is_dttm=n == "run_at", type="TIMESTAMP" if n == "run_at" else None)
        for n, (zh, en) in names.items()
    ]
    columns.append(Column("run_date", "运行日期", "Run date", "Day of the run", "CAST(q.run_at AS DATE)", True, "DATE"))
    select = ",\n    ".join(f"{c.expression} AS {c.name}" for c in columns)
    return Cube(
        name="data_quality",
        model="quality.validation_results",
        zh="数据质量",
        en="Data quality",
        description="数据质量 — data quality: one row per expectation per validation run (quality.validation_results).",
        time_column="run_at",
        sql=f"SELECT\n    {select}\nFROM quality.validation_results AS q",
        columns=tuple(columns),
        metrics=(
            Metric("checks", "检查项数", "Checks", "COUNT(*)", "count"),
            Metric("failures", "未通过数", "Failures", "COUNT(*) FILTER (WHERE NOT success)", "count"),
            Metric(
                "critical_failures",
                "严重未通过数",
                "Critical failures",
                "COUNT(*) FILTER (WHERE NOT success AND severity = 'critical')",
                "count",
            ),
            Metric("pass_rate", "通过率", "Pass rate", "COUNT(*) FILTER (WHERE success) / NULLIF(COUNT(*), 0)", "pct"),
        ),
        branch_filtered=False,
        source="dashboards/cubes.py",
    )


def load_cubes(marts_dir: Path = MARTS_DIR) -> dict[str, Cube]:
    """Every cube, keyed by name: those the marts yml declare, the waterfall steps and data quality."""
    cubes: dict[str, Cube] = {}
    files = sorted(marts_dir.glob("**/*.yml"))
    if not files:
        raise CubeError(f"{marts_dir}: no yml files")
    for path in files:
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        except yaml.YAMLError as exc:
            raise CubeError(f"{path}: not valid YAML ({exc})") from None
        for model in doc.get("models") or []:
            config_meta = (model.get("config") or {}).get("meta") or {}
            if "superset" not in config_meta and "superset" not in (model.get("meta") or {}):
                continue
            where = f"{path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}: {model['name']}"
            cube = cube_from_model(model, where)
            if cube.name in cubes:
                raise CubeError(f"{where}: cube {cube.name!r} is already declared by {cubes[cube.name].source}")
            cubes[cube.name] = cube
    if "contribution_summary" in cubes:
        cubes["contribution_steps"] = contribution_steps(cubes["contribution_summary"])
    cubes["data_quality"] = data_quality()
    for cube in cubes.values():
        for column in cube.columns:
            if any(marker in column.name for marker in PII_MARKERS):
                raise CubeError(f"{cube.source}: column {column.name!r} looks like personal data; hide it")
        if "restricted_pii" in cube.sql:
            raise CubeError(f"{cube.source}: a cube must not read the restricted_pii schema")
    return cubes
