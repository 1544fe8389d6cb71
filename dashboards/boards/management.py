"""管理驾驶舱 (Management overview): contribution waterfall, trend, by branch, product and segment."""

from __future__ import annotations

from dashboards.charts import Dashboard, bars, big_number, trend, waterfall
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES, DATE, MONTH_STATUS, PRODUCTS, RM, SEGMENT, TIER


def board(cubes: dict[str, Cube]) -> Dashboard:
    con, steps = cubes["contribution"], cubes["contribution_steps"]
    return Dashboard(
        slug="management",
        title_zh="管理驾驶舱",
        title_en="Management overview",
        description="Contribution waterfall, trend, by branch, product and segment.",
        filters=(DATE, MONTH_STATUS, *BRANCHES, *PRODUCTS, SEGMENT, TIER, RM),
        rows=[
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
                    "segment_name",
                    ["net_contribution"],
                ),
            ],
        ],
    )
