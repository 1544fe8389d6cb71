"""利润还原 (Profit bridge): customer contribution + FTP centre + unallocated and non-customer items = the ledger.

One bank-level cube (``marts.fct_profit_bridge_monthly``): no branch column, so branch managers do not see it
(``dashboards.security`` gives them the branch-sliced datasets only).
"""

from __future__ import annotations

from dashboards.charts import Dashboard, big_number, pivot, trend, waterfall
from dashboards.cubes import Cube
from dashboards.filters import DATE, MONTH_STATUS


def board(cubes: dict[str, Cube]) -> Dashboard:
    bridge = cubes["profit_bridge"]
    return Dashboard(
        slug="profit-bridge",
        title_zh="利润还原",
        title_en="Profit bridge to the ledger",
        description="Customer contribution + FTP centre + unallocated and non-customer items = GL pre-provision "
        "profit, to the cent, month by month.",
        filters=(DATE, MONTH_STATUS),
        rows=[
            [
                big_number(
                    "bridge_gl", "总账拨备前利润（万元）", "GL pre-provision profit", bridge, "gl_pre_provision_profit"
                ),
                big_number(
                    "bridge_customers",
                    "客户净贡献（万元）",
                    "Customer net contribution",
                    bridge,
                    "customer_contribution",
                ),
                big_number("bridge_ftp", "FTP中心损益（万元）", "FTP centre result", bridge, "ftp_centre_result"),
                big_number(
                    "bridge_other",
                    "非客户项目（万元）",
                    "Unallocated and non-customer items",
                    bridge,
                    "non_customer_items",
                ),
            ],
            [
                waterfall("bridge_waterfall", "利润还原瀑布（万元）", "Bridge from contribution to the ledger", bridge),
                trend(
                    "bridge_trend",
                    "还原项目趋势（万元）",
                    "Bridge components by month",
                    bridge,
                    [
                        "customer_contribution",
                        "add_backs",
                        "ftp_centre_result",
                        "non_customer_items",
                        "gl_pre_provision_profit",
                    ],
                ),
            ],
            [
                pivot(
                    "bridge_table",
                    "利润还原表（万元）",
                    "Bridge by month",
                    bridge,
                    ["step_name"],
                    ["year_month"],
                    ["amount"],
                )
            ],
        ],
    )
