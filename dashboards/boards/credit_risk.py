"""信用与风险 (Credit and risk): five-category classification and its migration, expected loss, overdue."""

from __future__ import annotations

from dashboards.charts import Dashboard, bars, big_number, pivot, table, trend
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES, DATE, MONTH_STATUS, RM, SEGMENT, TIER


def board(cubes: dict[str, Cube]) -> Dashboard:
    risk, migration = cubes["risk"], cubes["classification_migration"]
    return Dashboard(
        slug="credit-risk",
        title_zh="信用与风险",
        title_en="Credit and risk",
        description="Five-category classification and its migration, expected loss, overdue.",
        filters=(DATE, MONTH_STATUS, *BRANCHES, SEGMENT, TIER, RM),
        rows=[
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
    )
