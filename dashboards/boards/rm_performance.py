"""客户经理考核 (RM performance appraisal): book, contribution and achievement against targets."""

from __future__ import annotations

from dashboards.charts import Dashboard, big_number, table, trend
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES, DATE, MONTH_STATUS, RM


def board(cubes: dict[str, Cube]) -> Dashboard:
    rm = cubes["rm_scorecard"]
    return Dashboard(
        slug="rm-performance",
        title_zh="客户经理考核",
        title_en="RM performance appraisal",
        description="Book, contribution and achievement against targets.",
        filters=(DATE, MONTH_STATUS, *BRANCHES, RM),
        rows=[
            [
                big_number("rm_count", "客户经理人数", "RMs", rm, "rms"),
                big_number("rm_aum_ach", "AUM达成率", "AUM achievement", rm, "book_aum_achievement"),
                big_number("rm_nc_ach", "净贡献达成率", "Contribution achievement", rm, "net_contribution_achievement"),
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
    )
