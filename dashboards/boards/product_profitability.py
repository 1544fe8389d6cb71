"""产品盈利 (Product profitability): product line → category → product."""

from __future__ import annotations

from dashboards.charts import Dashboard, bars, sunburst, table, trend
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES, DATE, MONTH_STATUS, PRODUCTS, RM, SEGMENT, TIER


def board(cubes: dict[str, Cube]) -> Dashboard:
    con, bal = cubes["contribution"], cubes["balances"]
    return Dashboard(
        slug="product-profitability",
        title_zh="产品盈利",
        title_en="Product profitability",
        description="Product line → category → product.",
        filters=(DATE, MONTH_STATUS, *BRANCHES, *PRODUCTS, SEGMENT, TIER, RM),
        rows=[
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
                        "cm1_after_ftp",
                        "cm2_after_direct_cost",
                        "cm3_after_indirect_cost",
                        "cm4_after_overhead",
                        "expected_loss",
                        "net_contribution",
                        "economic_profit",
                        "net_interest_margin",
                        "raroc",
                        "raroc_after_tax",
                    ],
                )
            ],
        ],
    )
