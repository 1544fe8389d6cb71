"""Generate the Superset import bundle (datasets, charts, dashboards) from the cubes of the dbt yml.

    .venv/bin/python -m dashboards.assets            # writes dashboards/assets/bundle/
    .venv/bin/python -m dashboards.assets --check    # exits 1 when the committed bundle is out of date

The bundle is Superset's v1 export format (``metadata.yaml``, ``databases/``, ``datasets/``, ``charts/``,
``dashboards/``). It references the warehouse by its fixed UUID and carries a placeholder URI only: Superset's
importer keeps an existing database with that UUID untouched, and bootstrap registers the warehouse (read-only)
before importing. Every UUID is derived from a name, so regenerating gives identical files.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dashboards.cubes import Cube, load_cubes

ASSETS_DIR = Path(__file__).resolve().parent / "assets" / "bundle"
# Same derivation as dashboards.settings.WAREHOUSE_DATABASE_UUID (kept free of that import for the generator).
DATABASE_UUID = str(uuid.uuid5(uuid.NAMESPACE_URL, "crmwh:superset:database:warehouse"))
VERSION = "1.0.0"
# Fixed so that the generated files do not change from run to run.
TIMESTAMP = "2026-01-01T00:00:00+00:00"


def asset_uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"crmwh:superset:{kind}:{name}"))


@dataclass(frozen=True)
class Chart:
    key: str
    title_zh: str
    title_en: str
    cube: str
    viz_type: str
    params: dict[str, Any]
    query: dict[str, Any]
    width: int = 6
    height: int = 50

    @property
    def uuid(self) -> str:
        return asset_uuid("chart", self.key)


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title_zh: str
    title_en: str
    description: str
    rows: list[list[Chart]] = field(default_factory=list)

    @property
    def uuid(self) -> str:
        return asset_uuid("dashboard", self.slug)

    @property
    def charts(self) -> list[Chart]:
        return [chart for row in self.rows for chart in row]


# ----------------------------------------------------------------------------------------------------- charts


def _axis(column: str, grain: str | None) -> dict[str, Any]:
    axis: dict[str, Any] = {
        "columnType": "BASE_AXIS",
        "sqlExpression": column,
        "label": column,
        "expressionType": "SQL",
    }
    if grain:
        axis["timeGrain"] = grain
    return axis


def _base_params(cube: Cube, viz_type: str) -> dict[str, Any]:
    return {"viz_type": viz_type, "adhoc_filters": [], "row_limit": 10000, "extra_form_data": {}}


def big_number(key: str, zh: str, en: str, cube: Cube, metric: str) -> Chart:
    cube.metric(metric)
    params = {**_base_params(cube, "big_number_total"), "metric": metric, "y_axis_format": cube.metric(metric).d3format}
    query = {"metrics": [metric], "columns": [], "filters": [], "row_limit": 1}
    return Chart(key, zh, en, cube.name, "big_number_total", params, query, width=3, height=30)


def trend(
    key: str, zh: str, en: str, cube: Cube, metrics: list[str], groupby: Iterable[str] = (), bar: bool = False
) -> Chart:
    for metric in metrics:
        cube.metric(metric)
    groupby = list(groupby)
    for column in groupby:
        cube.column(column)
    viz = "echarts_timeseries_bar" if bar else "echarts_timeseries_line"
    grain = "P1M" if cube.time_column.endswith("month") or cube.time_column == "month_start" else "P1D"
    params = {
        **_base_params(cube, viz),
        "x_axis": cube.time_column,
        "time_grain_sqla": grain,
        "metrics": metrics,
        "groupby": groupby,
        "stack": bar and bool(groupby),
        "rich_tooltip": True,
        "show_legend": True,
        "y_axis_format": cube.metric(metrics[0]).d3format,
    }
    query = {
        "columns": [_axis(cube.time_column, grain), *groupby],
        "metrics": metrics,
        "filters": [],
        "orderby": [[metrics[0], False]],
        "row_limit": 10000,
        "series_columns": groupby,
    }
    return Chart(key, zh, en, cube.name, viz, params, query)


def bars(key: str, zh: str, en: str, cube: Cube, x_axis: str, metrics: list[str], groupby: Iterable[str] = ()) -> Chart:
    cube.column(x_axis)
    for metric in metrics:
        cube.metric(metric)
    groupby = list(groupby)
    params = {
        **_base_params(cube, "echarts_timeseries_bar"),
        "x_axis": x_axis,
        "metrics": metrics,
        "groupby": groupby,
        "x_axis_sort": metrics[0],
        "x_axis_sort_asc": False,
        "show_legend": True,
        "rich_tooltip": True,
        "y_axis_format": cube.metric(metrics[0]).d3format,
    }
    query = {
        "columns": [_axis(x_axis, None), *groupby],
        "metrics": metrics,
        "filters": [],
        "orderby": [[metrics[0], False]],
        "row_limit": 10000,
        "series_columns": groupby,
    }
    return Chart(key, zh, en, cube.name, "echarts_timeseries_bar", params, query)


def curve(key: str, zh: str, en: str, cube: Cube, x_axis: str, metric: str, x_title: str) -> Chart:
    """A line over a numeric (not time) x-axis in its own order, e.g. the Pareto curve over percentile bands.

    The y-axis has no title (the chart title names it): Superset 6.1 draws a vertical y-axis title over the ticks.
    """
    cube.column(x_axis)
    cube.metric(metric)
    params = {
        **_base_params(cube, "echarts_timeseries_line"),
        "x_axis": x_axis,
        "metrics": [metric],
        "groupby": [],
        # sorting by the x-axis itself keeps the points in x order (the frontend sorts the pivoted index)
        "x_axis_sort": x_axis,
        "x_axis_sort_asc": True,
        "x_axis_title": x_title,
        "x_axis_title_margin": 30,
        "y_axis_bounds": [0, 1],  # a share: the whole scale, not the data's range
        "truncateYAxis": True,
        "show_legend": False,
        "rich_tooltip": True,
        "markerEnabled": False,
        "y_axis_format": cube.metric(metric).d3format,
    }
    query = {
        "columns": [_axis(x_axis, None)],
        "metrics": [metric],
        "filters": [],
        "orderby": [[x_axis, True]],
        "row_limit": 10000,
        "series_columns": [],
    }
    return Chart(key, zh, en, cube.name, "echarts_timeseries_line", params, query)


def pie(key: str, zh: str, en: str, cube: Cube, groupby: str, metric: str) -> Chart:
    # Counts only: a pie cannot show signed amounts (losses), those get bars.
    cube.column(groupby)
    cube.metric(metric)
    params = {
        **_base_params(cube, "pie"),
        "groupby": [groupby],
        "metric": metric,
        "show_labels": True,
        "number_format": cube.metric(metric).d3format,
        "donut": True,
    }
    query = {"columns": [groupby], "metrics": [metric], "filters": [], "orderby": [[metric, False]], "row_limit": 100}
    return Chart(key, zh, en, cube.name, "pie", params, query, width=4)


def table(key: str, zh: str, en: str, cube: Cube, groupby: list[str], metrics: list[str], limit: int = 50) -> Chart:
    for column in groupby:
        cube.column(column)
    for metric in metrics:
        cube.metric(metric)
    params = {
        **_base_params(cube, "table"),
        "query_mode": "aggregate",
        "groupby": groupby,
        "metrics": metrics,
        "all_columns": [],
        "percent_metrics": [],
        "order_desc": True,
        "timeseries_limit_metric": metrics[0],
        "row_limit": limit,
        "server_pagination": False,
        "table_timestamp_format": "smart_date",
    }
    query = {
        "columns": groupby,
        "metrics": metrics,
        "filters": [],
        "orderby": [[metrics[0], False]],
        "row_limit": limit,
    }
    return Chart(key, zh, en, cube.name, "table", params, query, width=12)


def pivot(key: str, zh: str, en: str, cube: Cube, rows: list[str], columns: list[str], metrics: list[str]) -> Chart:
    """A matrix (rows × columns, both in the labels' own order) with totals; metrics stacked as row groups."""
    for column in [*rows, *columns]:
        cube.column(column)
    for metric in metrics:
        cube.metric(metric)
    params = {
        **_base_params(cube, "pivot_table_v2"),
        "groupbyRows": rows,
        "groupbyColumns": columns,
        "metrics": metrics,
        "metricsLayout": "ROWS",
        "aggregateFunction": "Sum",
        # totals along each row; down the columns only within a metric (a grand total would add loans to 万元)
        "rowTotals": True,
        "colTotals": False,
        "rowSubTotals": True,
        "rowOrder": "key_a_to_z",
        "colOrder": "key_a_to_z",
        # one format for counts and 万元: two decimals, trailing zeros dropped
        "valueFormat": ",.2~f",
        "combineMetric": False,
        "transposePivot": False,
        "order_desc": True,
        "date_format": "smart_date",
    }
    query = {
        "columns": [*rows, *columns],
        "metrics": metrics,
        "filters": [],
        "orderby": [[metrics[0], False]],
        "row_limit": 10000,
    }
    return Chart(key, zh, en, cube.name, "pivot_table_v2", params, query, width=12, height=70)


def waterfall(key: str, zh: str, en: str, cube: Cube) -> Chart:
    params = {
        **_base_params(cube, "waterfall"),
        "x_axis": "step_name",
        "metric": "amount",
        "groupby": [],
        "show_value": True,
        "y_axis_format": ",.2f",
    }
    query = {
        "columns": ["step_name"],
        "metrics": ["amount"],
        "filters": [],
        "orderby": [["step_name", True]],
        "row_limit": 100,
    }
    return Chart(key, zh, en, cube.name, "waterfall", params, query)


def sunburst(key: str, zh: str, en: str, cube: Cube, columns: list[str], metric: str) -> Chart:
    for column in columns:
        cube.column(column)
    cube.metric(metric)
    params = {
        **_base_params(cube, "sunburst_v2"),
        "columns": columns,
        "metric": metric,
        "number_format": cube.metric(metric).d3format,
    }
    query = {"columns": columns, "metrics": [metric], "filters": [], "orderby": [[metric, False]], "row_limit": 1000}
    return Chart(key, zh, en, cube.name, "sunburst_v2", params, query)


# ------------------------------------------------------------------------------------------------- dashboards


def dashboards(cubes: dict[str, Cube]) -> list[Dashboard]:
    con, steps, bal = cubes["contribution"], cubes["contribution_steps"], cubes["balances"]
    cv, clv, loy = cubes["customer_value"], cubes["customer_lifetime_value"], cubes["customer_loyalty"]
    costs, rm, risk = cubes["branch_costs"], cubes["rm_scorecard"], cubes["risk"]
    migration = cubes["classification_migration"]
    txn, card, corp, dq = (
        cubes["transactions"],
        cubes["card_transactions"],
        cubes["corporate_customers"],
        cubes["data_quality"],
    )
    return [
        Dashboard(
            "management",
            "管理驾驶舱",
            "Management overview",
            "Contribution waterfall, trend, by branch, product and segment.",
            [
                [
                    big_number("mgmt_nc", "净贡献（万元）", "Net contribution", con, "net_contribution"),
                    big_number("mgmt_ep", "经济利润（万元）", "Economic profit", con, "economic_profit"),
                    big_number("mgmt_cir", "成本收入比", "Cost-to-income ratio", con, "cost_to_income_ratio"),
                    big_number("mgmt_raroc", "RAROC（年化）", "RAROC annualised", con, "raroc"),
                ],
                [
                    waterfall("mgmt_waterfall", "贡献瀑布（万元）", "Contribution waterfall", steps),
                    trend(
                        "mgmt_trend",
                        "净贡献趋势（万元）",
                        "Net contribution trend",
                        con,
                        ["net_interest_contribution", "fee_income", "net_contribution"],
                    ),
                ],
                [
                    bars(
                        "mgmt_by_branch",
                        "分行净贡献（万元）",
                        "Net contribution by region",
                        con,
                        "region_name",
                        ["net_contribution"],
                        ["product_line_name"],
                    ),
                    bars(
                        "mgmt_by_product",
                        "产品线净贡献（万元）",
                        "Net contribution by product line",
                        con,
                        "product_line_name",
                        ["net_contribution"],
                    ),
                    bars(
                        "mgmt_by_segment",
                        "客群净贡献（万元）",
                        "Net contribution by segment",
                        con,
                        "segment_code",
                        ["net_contribution"],
                    ),
                ],
            ],
        ),
        Dashboard(
            "customer-value",
            "客户价值",
            "Customer value",
            "Pareto curve and value tiers, AUM tiers, CLV, loyalty, top-N.",
            [
                [
                    big_number("cv_customers", "客户数", "Customers", cv, "customers"),
                    big_number("cv_aum", "AUM（亿元）", "AUM", cv, "aum_yi"),
                    big_number(
                        "cv_clv", "客户生命周期价值（万元）", "Customer lifetime value", clv, "customer_lifetime_value"
                    ),
                    big_number("cv_active", "活跃率", "Active rate", loy, "active_rate"),
                ],
                [
                    curve(
                        "cv_pareto_curve",
                        "帕累托曲线：累计贡献占比",
                        "Pareto curve: cumulative contribution share by customer rank",
                        cv,
                        "customer_rank_percentile",
                        "pareto_cumulative_share",
                        "客户排名百分位（%，按窗口期净贡献从高到低）",
                    ),
                    bars(
                        "cv_pareto",
                        "帕累托：价值层级（万元）",
                        "Pareto: value tiers",
                        cv,
                        "value_tier_code",
                        ["window_net_contribution", "customers"],
                    ),
                ],
                [
                    pie("cv_aum_tiers", "AUM层级客户分布", "Customers by AUM tier", cv, "aum_tier_code", "customers"),
                    bars(
                        "cv_clv_tiers",
                        "生命周期价值分布（万元）",
                        "CLV by AUM tier",
                        clv,
                        "aum_tier_code",
                        ["customer_lifetime_value"],
                    ),
                    trend(
                        "cv_loyalty",
                        "活跃率与流失率",
                        "Active and attrition rate",
                        loy,
                        ["active_rate", "attrition_rate"],
                    ),
                ],
                [
                    table(
                        "cv_top",
                        "净贡献前50客户",
                        "Top 50 customers by net contribution",
                        cv,
                        ["party_id", "value_tier_code", "aum_tier_code", "level3_branch_name"],
                        ["net_contribution", "aum"],
                    ),
                ],
            ],
        ),
        Dashboard(
            "product-profitability",
            "产品盈利",
            "Product profitability",
            "Product line → category → product.",
            [
                [
                    sunburst(
                        "prod_sunburst",
                        "产品层级净贡献（万元）",
                        "Net contribution by product hierarchy",
                        con,
                        ["product_line_name", "category_name", "product_name"],
                        "net_contribution",
                    ),
                    bars(
                        "prod_nim",
                        "产品净息差",
                        "Net interest margin by product",
                        con,
                        "product_name",
                        ["net_interest_margin"],
                    ),
                ],
                [
                    trend(
                        "prod_adb",
                        "日均余额趋势（万元）",
                        "Average daily balance by product line",
                        bal,
                        ["average_daily_balance"],
                        ["product_line_name"],
                        bar=True,
                    )
                ],
                [
                    table(
                        "prod_table",
                        "产品盈利表",
                        "Product profitability table",
                        con,
                        ["product_line_name", "category_name", "product_name"],
                        [
                            "average_daily_balance",
                            "net_interest_contribution",
                            "fee_income",
                            "allocated_operating_cost",
                            "expected_loss",
                            "net_contribution",
                            "economic_profit",
                            "net_interest_margin",
                            "raroc",
                        ],
                    )
                ],
            ],
        ),
        Dashboard(
            "branch-cost",
            "机构与成本",
            "Branch and cost",
            "League table, cost/income, allocated cost by driver.",
            [
                [
                    table(
                        "branch_league",
                        "机构排行榜",
                        "Branch league table",
                        con,
                        ["region_name", "level3_branch_name"],
                        ["net_contribution", "economic_profit", "cost_to_income_ratio", "raroc", "customers"],
                    )
                ],
                [
                    bars(
                        "branch_cir",
                        "成本收入比",
                        "Cost-to-income ratio by branch",
                        con,
                        "level3_branch_name",
                        ["cost_to_income_ratio"],
                    ),
                    bars(
                        "branch_drivers",
                        "按动因分摊成本（万元）",
                        "Allocated cost by driver",
                        costs,
                        "level3_branch_name",
                        [
                            "allocated_by_transactions",
                            "allocated_by_maintenance",
                            "allocated_by_rm_relationships",
                            "residual_amount",
                        ],
                    ),
                ],
                [
                    trend(
                        "branch_cost_trend",
                        "运营费用趋势（万元）",
                        "Operating expense trend",
                        costs,
                        ["gl_operating_expense", "allocated_amount"],
                        bar=True,
                    )
                ],
            ],
        ),
        Dashboard(
            "rm-performance",
            "客户经理考核",
            "RM performance appraisal",
            "Book, contribution and achievement against targets.",
            [
                [
                    big_number("rm_count", "客户经理人数", "RMs", rm, "rms"),
                    big_number("rm_aum_ach", "AUM达成率", "AUM achievement", rm, "book_aum_achievement"),
                    big_number(
                        "rm_nc_ach", "净贡献达成率", "Contribution achievement", rm, "net_contribution_achievement"
                    ),
                    big_number("rm_attr", "流失率", "Attrition rate", rm, "attrition_rate"),
                ],
                [
                    table(
                        "rm_table",
                        "客户经理考核表",
                        "RM scorecard",
                        rm,
                        ["rm_id", "rm_type_code", "rm_grade_code", "level3_branch_name"],
                        [
                            "book_customers",
                            "new_customers",
                            "book_aum",
                            "net_contribution",
                            "book_aum_achievement",
                            "net_contribution_achievement",
                            "attrition_rate",
                        ],
                    )
                ],
                [trend("rm_trend", "管户AUM趋势（万元）", "Book AUM trend", rm, ["book_aum"], ["rm_type_code"])],
            ],
        ),
        Dashboard(
            "credit-risk",
            "信用与风险",
            "Credit and risk",
            "Five-category classification and its migration, expected loss, overdue.",
            [
                [
                    big_number("risk_out", "贷款余额（万元）", "Outstanding", risk, "outstanding"),
                    big_number("risk_npl", "不良率", "NPL ratio", risk, "npl_ratio"),
                    big_number("risk_overdue", "逾期率", "Overdue ratio", risk, "overdue_ratio"),
                    big_number("risk_el", "预期损失（万元）", "Expected loss", risk, "expected_loss"),
                ],
                [
                    trend(
                        "risk_class",
                        "五级分类余额趋势（万元）",
                        "Outstanding by worst classification over time",
                        risk,
                        ["outstanding"],
                        ["worst_five_class_code"],
                        bar=True,
                    ),
                    bars(
                        "risk_el_branch",
                        "分行预期损失（万元）",
                        "Expected loss by region",
                        risk,
                        "region_name",
                        ["expected_loss", "exposure_at_default"],
                    ),
                ],
                [
                    pivot(
                        "risk_migration",
                        "五级分类迁徙矩阵（笔数；EAD 万元）",
                        "Classification migration: previous month end × month end (loans; EAD in 10k CNY)",
                        migration,
                        ["from_classification_label"],
                        ["to_classification_label"],
                        ["loans", "migrated_exposure"],
                    )
                ],
                [
                    table(
                        "risk_table",
                        "评级与逾期",
                        "Rating and overdue",
                        risk,
                        ["risk_rating_code", "worst_five_class_code"],
                        ["borrowers", "outstanding", "expected_loss", "el_rate"],
                    )
                ],
            ],
        ),
        Dashboard(
            "transactions-channels",
            "交易与渠道",
            "Transactions and channels",
            "Volumes, amounts and channel mix.",
            [
                [
                    big_number("txn_count", "交易笔数", "Transactions", txn, "transactions"),
                    big_number("txn_amount", "交易金额（万元）", "Amount", txn, "amount"),
                    big_number("txn_digital", "线上交易占比", "Digital share", txn, "digital_share"),
                    big_number("card_amount", "信用卡消费（万元）", "Card spend", card, "amount"),
                ],
                [
                    trend(
                        "txn_trend",
                        "交易笔数趋势",
                        "Transactions per day",
                        txn,
                        ["transactions"],
                        ["channel_name_zh"],
                        bar=True,
                    ),
                    pie("txn_channels", "渠道分布", "Transactions by channel", txn, "channel_name_zh", "transactions"),
                ],
                [
                    bars(
                        "card_types",
                        "信用卡交易类型（万元）",
                        "Card transactions by type",
                        card,
                        "txn_type_name",
                        ["amount", "interchange_fee"],
                    ),
                    bars(
                        "txn_types",
                        "交易类型（万元）",
                        "Core transactions by type",
                        txn,
                        "txn_type_name",
                        ["amount", "fee_income"],
                    ),
                ],
            ],
        ),
        Dashboard(
            "corporate",
            "对公客户",
            "Corporate customers",
            "Industry, group, credit exposure and limit use, contribution.",
            [
                [
                    big_number("corp_customers", "对公客户数", "Corporate customers", corp, "customers"),
                    big_number("corp_exposure", "授信敞口（万元）", "Credit exposure", corp, "credit_exposure"),
                    big_number("corp_util", "额度使用率", "Limit utilisation", corp, "limit_utilisation"),
                    big_number("corp_nc", "净贡献（万元）", "Net contribution", corp, "net_contribution"),
                ],
                [
                    bars(
                        "corp_industry",
                        "行业分布（万元）",
                        "By industry",
                        corp,
                        "industry_code",
                        ["loans_adb", "deposits_adb"],
                    ),
                    table(
                        "corp_groups",
                        "集团客户",
                        "Corporate groups",
                        corp,
                        ["group_code"],
                        ["customers", "credit_exposure", "net_contribution"],
                        limit=20,
                    ),
                ],
            ],
        ),
        Dashboard(
            "data-quality",
            "数据质量",
            "Data quality",
            "Great Expectations results per run (quality.validation_results).",
            [
                [
                    big_number("dq_pass", "通过率", "Pass rate", dq, "pass_rate"),
                    big_number("dq_fail", "未通过数", "Failures", dq, "failures"),
                    big_number("dq_critical", "严重未通过数", "Critical failures", dq, "critical_failures"),
                ],
                [
                    table(
                        "dq_suites",
                        "检查套件结果",
                        "Results by suite",
                        dq,
                        ["stage", "suite"],
                        ["checks", "failures", "pass_rate"],
                    ),
                    table(
                        "dq_failures",
                        "未通过的检查",
                        "Failed expectations",
                        dq,
                        ["suite", "expectation", "severity"],
                        ["failures"],
                    ),
                ],
            ],
        ),
    ]


# Native filters: (id, title zh, column or None for the date range); each targets the first cube having the column.
FILTERS = (
    ("date", "日期", None, None),
    ("region", "分行", "region_name", None),
    ("branch", "支行", "level3_branch_name", "region"),
    ("sub_branch", "网点", "sub_branch_name", "branch"),
    ("product_line", "产品线", "product_line_name", None),
    ("product", "产品", "product_name", "product_line"),
    ("segment", "客群", "segment_code", None),
    ("tier", "AUM层级", "aum_tier_code", None),
    ("rm", "客户经理", "rm_id", None),
)


def native_filters(dashboard: Dashboard, cubes: dict[str, Cube]) -> list[dict[str, Any]]:
    used = [cubes[name] for name in dict.fromkeys(chart.cube for chart in dashboard.charts)]
    out: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    for key, title, column, parent in FILTERS:
        filter_id = f"NATIVE_FILTER-{dashboard.slug}-{key}"
        base = {
            "id": filter_id,
            "name": title,
            "type": "NATIVE_FILTER",
            "description": "",
            "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
            "cascadeParentIds": [ids[parent]] if parent in ids else [],
            "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        }
        if column is None:
            out.append({**base, "filterType": "filter_time", "targets": [{}], "controlValues": {}})
            ids[key] = filter_id
            continue
        target = next((cube for cube in used if any(c.name == column for c in cube.columns)), None)
        if target is None:
            continue
        ids[key] = filter_id
        out.append(
            {
                **base,
                "filterType": "filter_select",
                "targets": [{"datasetUuid": asset_uuid("dataset", target.name), "column": {"name": column}}],
                "controlValues": {
                    "enableEmptyFilter": False,
                    "defaultToFirstItem": False,
                    "multiSelect": True,
                    "searchAllOptions": False,
                    "inverseSelection": False,
                },
            }
        )
    return out


# ---------------------------------------------------------------------------------------------------- files


def dataset_yaml(cube: Cube) -> dict[str, Any]:
    return {
        "table_name": cube.name,
        "main_dttm_col": cube.time_column,
        "description": cube.description,
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "catalog": None,
        "schema": "main",
        "sql": cube.sql,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": {"certification": {"certified_by": "crmwh dbt yml", "details": cube.source}},
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "uuid": asset_uuid("dataset", cube.name),
        "metrics": [
            {
                "metric_name": m.name,
                "verbose_name": m.verbose_name,
                "metric_type": None,
                "expression": m.expression,
                "description": f"{m.en} ({m.unit})",
                "d3format": m.d3format,
                "currency": {"symbol": "CNY", "symbolPosition": "prefix"} if m.unit == "yuan" else None,
                "extra": {},
                "warning_text": None,
            }
            for m in cube.metrics
        ],
        "columns": [
            {
                "column_name": c.name,
                "verbose_name": c.zh,
                "is_dttm": c.is_dttm,
                "is_active": True,
                "type": c.type,
                "advanced_data_type": None,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": c.description,
                "python_date_format": None,
                "extra": {},
            }
            for c in cube.columns
        ],
        "version": VERSION,
        "database_uuid": DATABASE_UUID,
    }


def chart_yaml(chart: Chart) -> dict[str, Any]:
    params = {**chart.params, "datasource": "0__table", "slice_id": None}
    query_context = {
        "datasource": {"id": 0, "type": "table"},
        "force": False,
        "queries": [chart.query],
        "form_data": params,
        "result_format": "json",
        "result_type": "full",
    }
    return {
        "slice_name": chart.title_zh,
        "description": chart.title_en,
        "certified_by": None,
        "certification_details": None,
        "viz_type": chart.viz_type,
        "params": params,
        "query_context": json.dumps(query_context, ensure_ascii=False, sort_keys=True),
        "cache_timeout": None,
        "uuid": chart.uuid,
        "version": VERSION,
        "dataset_uuid": asset_uuid("dataset", chart.cube),
    }


def position(dashboard: Dashboard) -> dict[str, Any]:
    pos: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": dashboard.title_zh}},
    }
    for r, row in enumerate(dashboard.rows, start=1):
        row_id = f"ROW-{r}"
        pos["GRID_ID"]["children"].append(row_id)
        pos[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for chart in row:
            chart_id = f"CHART-{chart.key}"
            pos[row_id]["children"].append(chart_id)
            pos[chart_id] = {
                "type": "CHART",
                "id": chart_id,
                "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                # chartId is a placeholder the importer replaces with the imported chart's id (found by uuid).
                "meta": {
                    "width": 12 // len(row),  # a row always fills the 12-column grid
                    "height": chart.height,
                    "chartId": len(pos),
                    "uuid": chart.uuid,
                    "sliceName": chart.title_zh,
                },
            }
    return pos


def dashboard_yaml(dashboard: Dashboard, cubes: dict[str, Cube]) -> dict[str, Any]:
    return {
        "dashboard_title": dashboard.title_zh,
        "description": f"{dashboard.title_en}: {dashboard.description}",
        "css": "",
        "slug": dashboard.slug,
        "certified_by": None,
        "certification_details": None,
        "published": True,
        "uuid": dashboard.uuid,
        "position": position(dashboard),
        "metadata": {
            "native_filter_configuration": native_filters(dashboard, cubes),
            "cross_filters_enabled": True,
            "global_chart_configuration": {"scope": {"rootPath": ["ROOT_ID"], "excluded": []}, "chartsInScope": []},
            "chart_configuration": {},
            "color_scheme": "supersetColors",
            "refresh_frequency": 0,
            "expanded_slices": {},
            "label_colors": {},
            "shared_label_colors": [],
            "timed_refresh_immune_slices": [],
            "default_filters": "{}",
        },
        "version": VERSION,
    }


def database_yaml() -> dict[str, Any]:
    # Placeholder: the importer returns the existing database with this UUID (registered by bootstrap) unchanged.
    return {
        "database_name": "crmwh",
        "sqlalchemy_uri": "duckdb:///:memory:",
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {"engine_params": {"connect_args": {"read_only": True}}},
        "uuid": DATABASE_UUID,
        "version": VERSION,
    }


def bundle_files(cubes: dict[str, Cube] | None = None) -> dict[str, str]:
    """Path inside the bundle → YAML text, for every asset."""
    cubes = cubes or load_cubes()
    boards = dashboards(cubes)

    def dump(data: dict[str, Any]) -> str:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)

    files = {
        "metadata.yaml": dump({"version": VERSION, "type": "Dashboard", "timestamp": TIMESTAMP}),
        "databases/crmwh.yaml": dump(database_yaml()),
    }
    for cube in cubes.values():
        files[f"datasets/crmwh/{cube.name}.yaml"] = dump(dataset_yaml(cube))
    keys: set[str] = set()
    for board in boards:
        for chart in board.charts:
            if chart.key in keys:
                raise ValueError(f"chart key {chart.key!r} is used twice")
            keys.add(chart.key)
            files[f"charts/{chart.key}.yaml"] = dump(chart_yaml(chart))
        files[f"dashboards/{board.slug}.yaml"] = dump(dashboard_yaml(board, cubes))
    return files


def write_bundle(target: Path = ASSETS_DIR) -> dict[str, str]:
    files = bundle_files()
    if target.exists():
        shutil.rmtree(target)
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return files


def read_bundle(source: Path = ASSETS_DIR) -> dict[str, str]:
    return {str(path.relative_to(source)): path.read_text(encoding="utf-8") for path in sorted(source.rglob("*.yaml"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards.assets", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ASSETS_DIR, help="bundle folder [dashboards/assets/bundle]")
    parser.add_argument("--check", action="store_true", help="only compare with the folder; exit 1 if it differs")
    args = parser.parse_args(argv)
    if args.check:
        expected, actual = bundle_files(), read_bundle(args.out) if args.out.exists() else {}
        if expected != actual:
            changed = sorted(set(expected) ^ set(actual) | {k for k in expected if actual.get(k) != expected[k]})
            print(
                f"{args.out} is out of date ({len(changed)} files, e.g. {changed[:3]}): "
                "run .venv/bin/python -m dashboards.assets",
                file=sys.stderr,
            )
            return 1
        print(f"{args.out} is up to date ({len(expected)} files)")
        return 0
    files = write_bundle(args.out)
    kinds = {k: sum(1 for f in files if f.startswith(k)) for k in ("datasets/", "charts/", "dashboards/")}
    print(f"wrote {len(files)} files into {args.out}: " + ", ".join(f"{n} {k.rstrip('/')}" for k, n in kinds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
