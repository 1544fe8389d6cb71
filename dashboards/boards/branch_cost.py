"""机构与成本 (Branch and cost): league table, cost/income, allocated cost by driver."""

from __future__ import annotations

from dashboards.charts import Dashboard, bars, table, trend
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES, DATE, MONTH_STATUS, PRODUCTS, RM, SEGMENT, TIER


def board(cubes: dict[str, Cube]) -> Dashboard:
    con, costs = cubes["contribution"], cubes["branch_costs"]
    return Dashboard(
        slug="branch-cost",
        title_zh="机构与成本",
        title_en="Branch and cost",
        description="League table, cost/income, allocated cost by driver.",
        filters=(DATE, MONTH_STATUS, *BRANCHES, *PRODUCTS, SEGMENT, TIER, RM),
        rows=[
            [
                table(
                    "branch_league",
                    "机构排行榜",
                    "Branch league table",
                    con,
                    ["region_name", "level3_branch_name"],
                    [
                        "net_contribution",
                        "cm1_after_ftp",
                        "cm2_after_direct_cost",
                        "cm3_after_indirect_cost",
                        "cm4_after_overhead",
                        "economic_profit",
                        "cost_to_income_ratio",
                        "raroc",
                        "raroc_after_tax",
                        "customers",
                    ],
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
                        "allocated_by_overhead_driver",
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
    )
