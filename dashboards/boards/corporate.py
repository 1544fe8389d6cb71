"""对公客户 (Corporate customers): industry, group, credit exposure and limit use, contribution."""

from __future__ import annotations

from dashboards.charts import Dashboard, bars, big_number, table
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES, DATE, MONTH_STATUS, RM, SEGMENT, TIER


def board(cubes: dict[str, Cube]) -> Dashboard:
    corp = cubes["corporate_customers"]
    return Dashboard(
        slug="corporate",
        title_zh="对公客户",
        title_en="Corporate customers",
        description="Industry, group, credit exposure and limit use, contribution.",
        filters=(DATE, MONTH_STATUS, *BRANCHES, SEGMENT, TIER, RM),
        rows=[
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
    )
