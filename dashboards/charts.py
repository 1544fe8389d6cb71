"""The chart kinds: a Chart or Dashboard value, and one builder per Superset visualisation the dashboards use.

Each builder checks the columns and metrics it is given against the cube (``Cube.column`` / ``Cube.metric`` raise
naming the cube), so a renamed yml column fails when the bundle is generated, not when Superset renders the chart.
``params`` are the chart's form data and ``query`` its saved query, both in Superset 6.1's shape.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from dashboards.cubes import Cube
from dashboards.filters import Filter


def asset_uuid(kind: str, name: str) -> str:
    """A fixed UUID per asset name: regenerating the bundle gives the same files and Superset updates in place."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"crmwh:superset:{kind}:{name}"))


@dataclass(frozen=True)
class Chart:
    key: str  # the chart's file name and the seed of its UUID: renaming it makes a new chart in Superset
    title_zh: str
    title_en: str
    cube: str
    viz_type: str
    params: dict[str, Any]
    query: dict[str, Any]
    height: int = 50  # grid rows; the width is the row's share of the 12 columns (bundle.position)

    @property
    def uuid(self) -> str:
        return asset_uuid("chart", self.key)


@dataclass(frozen=True, kw_only=True)
class Dashboard:
    slug: str
    title_zh: str
    title_en: str
    description: str
    filters: tuple[Filter, ...]  # native filters, in the order of the filter bar
    rows: list[list[Chart]]  # each row shares the 12-column grid equally

    @property
    def uuid(self) -> str:
        return asset_uuid("dashboard", self.slug)

    @property
    def charts(self) -> list[Chart]:
        return [chart for row in self.rows for chart in row]


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


# Dates as Chinese readers write them with digits (2025-03, 2025-03-31), never Superset's smart_date (Mar 2025).
MONTH_FORMAT = "%Y-%m"
DAY_FORMAT = "%Y-%m-%d"


def _base_params(viz_type: str) -> dict[str, Any]:
    return {"viz_type": viz_type, "adhoc_filters": [], "row_limit": 10000, "extra_form_data": {}}


def big_number(key: str, zh: str, en: str, cube: Cube, metric: str) -> Chart:
    params = {**_base_params("big_number_total"), "metric": metric, "y_axis_format": cube.metric(metric).d3format}
    query = {"metrics": [metric], "columns": [], "filters": [], "row_limit": 1}
    return Chart(key, zh, en, cube.name, "big_number_total", params, query, height=30)


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
        **_base_params(viz),
        "x_axis": cube.time_column,
        "time_grain_sqla": grain,
        "metrics": metrics,
        "groupby": groupby,
        "stack": bar and bool(groupby),
        "rich_tooltip": True,
        "show_legend": True,
        "y_axis_format": cube.metric(metrics[0]).d3format,
        # numeric dates on the axis and in the tooltip: Superset's default (smart_date) writes English month names
        "x_axis_time_format": MONTH_FORMAT if grain == "P1M" else DAY_FORMAT,
        "tooltipTimeFormat": MONTH_FORMAT if grain == "P1M" else DAY_FORMAT,
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
        **_base_params("echarts_timeseries_bar"),
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
        **_base_params("echarts_timeseries_line"),
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
        **_base_params("pie"),
        "groupby": [groupby],
        "metric": metric,
        "show_labels": True,
        "number_format": cube.metric(metric).d3format,
        "donut": True,
    }
    query = {"columns": [groupby], "metrics": [metric], "filters": [], "orderby": [[metric, False]], "row_limit": 100}
    return Chart(key, zh, en, cube.name, "pie", params, query)


def table(
    key: str,
    zh: str,
    en: str,
    cube: Cube,
    groupby: list[str],
    metrics: list[str],
    limit: int = 50,
    ascending: bool = False,
) -> Chart:
    """An aggregate table ordered by its first metric, largest first (``ascending``: smallest first, e.g. the bottom
    branches)."""
    for column in groupby:
        cube.column(column)
    for metric in metrics:
        cube.metric(metric)
    params = {
        **_base_params("table"),
        "query_mode": "aggregate",
        "groupby": groupby,
        "metrics": metrics,
        "all_columns": [],
        "percent_metrics": [],
        "order_desc": not ascending,
        "timeseries_limit_metric": metrics[0],
        "row_limit": limit,
        "server_pagination": False,
        "table_timestamp_format": DAY_FORMAT,
    }
    query = {
        "columns": groupby,
        "metrics": metrics,
        "filters": [],
        "orderby": [[metrics[0], ascending]],
        "row_limit": limit,
    }
    return Chart(key, zh, en, cube.name, "table", params, query)


def pivot(key: str, zh: str, en: str, cube: Cube, rows: list[str], columns: list[str], metrics: list[str]) -> Chart:
    """A matrix (rows × columns, both in the labels' own order) with totals; metrics stacked as row groups."""
    for column in [*rows, *columns]:
        cube.column(column)
    for metric in metrics:
        cube.metric(metric)
    params = {
        **_base_params("pivot_table_v2"),
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
        "date_format": DAY_FORMAT,
    }
    query = {
        "columns": [*rows, *columns],
        "metrics": metrics,
        "filters": [],
        "orderby": [[metrics[0], False]],
        "row_limit": 10000,
    }
    return Chart(key, zh, en, cube.name, "pivot_table_v2", params, query, height=70)


def waterfall(key: str, zh: str, en: str, cube: Cube) -> Chart:
    """The contribution waterfall over a cube of steps (``contribution_steps``: one row per step and summary row)."""
    cube.column("step_name")
    cube.metric("amount")
    params = {
        **_base_params("waterfall"),
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
        **_base_params("sunburst_v2"),
        "columns": columns,
        "metric": metric,
        "number_format": cube.metric(metric).d3format,
    }
    query = {"columns": columns, "metrics": [metric], "filters": [], "orderby": [[metric, False]], "row_limit": 1000}
    return Chart(key, zh, en, cube.name, "sunburst_v2", params, query)


def only(chart: Chart, column: str, cube: Cube) -> Chart:
    """The chart limited to the rows where the cube's boolean ``column`` is true (e.g. the latest closed month)."""
    cube.column(column)
    where = {"clause": "WHERE", "expressionType": "SQL", "sqlExpression": column, "subject": None, "operator": None,
             "comparator": None}  # fmt: skip
    params = {**chart.params, "adhoc_filters": [*chart.params.get("adhoc_filters", []), where]}
    query = {**chart.query, "extras": {**chart.query.get("extras", {}), "where": f"({column})"}}
    return replace(chart, params=params, query=query)
