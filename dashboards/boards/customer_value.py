"""客户价值 (Customer value): Pareto curve and value tiers, AUM tiers, CLV, loyalty, top-N."""

from __future__ import annotations

from dashboards.charts import Dashboard, bars, big_number, curve, pie, table, trend
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES, DATE, MONTH_STATUS, RM, SEGMENT, TIER


def board(cubes: dict[str, Cube]) -> Dashboard:
    cv, clv, loy = cubes["customer_value"], cubes["customer_lifetime_value"], cubes["customer_loyalty"]
    return Dashboard(
        slug="customer-value",
        title_zh="客户价值",
        title_en="Customer value",
        description="Pareto curve and value tiers, AUM tiers, CLV, loyalty, top-N.",
        filters=(DATE, MONTH_STATUS, *BRANCHES, SEGMENT, TIER, RM),
        rows=[
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
                    "value_tier_name_zh",
                    ["window_net_contribution", "customers"],
                ),
            ],
            [
                pie("cv_aum_tiers", "AUM层级客户分布", "Customers by AUM tier", cv, "aum_tier_name_zh", "customers"),
                bars(
                    "cv_clv_tiers",
                    "生命周期价值分布（万元）",
                    "CLV by AUM tier",
                    clv,
                    "aum_tier_name_zh",
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
                    ["party_id", "value_tier_name_zh", "aum_tier_name_zh", "level3_branch_name"],
                    ["net_contribution", "aum"],
                ),
            ],
        ],
    )
