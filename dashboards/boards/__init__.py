"""The dashboards, one module each: its layout rows of charts and its native filters, as data.

A board module defines ``board(cubes) -> Dashboard``, built with the chart kinds of ``dashboards.charts`` and the
filters of ``dashboards.filters``. ``BOARDS`` is the order of the bundle and of Superset's dashboard list.

Python rather than YAML: the chart kinds are the schema (their signatures say what each kind needs) and check every
column and metric against the cube as the board is built; a YAML layer would restate them as a second schema.
"""

from __future__ import annotations

from dashboards.boards import (
    branch_cost,
    branch_weekly,
    campaigns,
    churn_warning,
    corporate,
    credit_risk,
    customer_value,
    data_quality,
    management,
    management_pack,
    product_profitability,
    profit_bridge,
    rm_performance,
    rm_target_list,
    transactions_channels,
)
from dashboards.charts import Dashboard
from dashboards.cubes import Cube

BOARDS = (
    management,
    management_pack,
    profit_bridge,
    customer_value,
    churn_warning,
    rm_target_list,
    campaigns,
    product_profitability,
    branch_cost,
    rm_performance,
    credit_risk,
    transactions_channels,
    corporate,
    data_quality,
    branch_weekly,
)


def dashboards(cubes: dict[str, Cube]) -> list[Dashboard]:
    return [module.board(cubes) for module in BOARDS]
