"""客户经理考核 (RM performance appraisal): the month-end book against targets (scorecard) and the appraisal on credit
(绩效考核: shared credit 分润 and RM changes pro-rated by days, weighted composite score)."""

from __future__ import annotations

from dashboards.charts import Dashboard, big_number, table, trend
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES, DATE, MONTH_STATUS, RM


def board(cubes: dict[str, Cube]) -> Dashboard:
    rm, perf = cubes["rm_scorecard"], cubes["rm_performance"]
    return Dashboard(
        slug="rm-performance",
        title_zh="客户经理考核",
        title_en="RM performance appraisal",
        description="Book, contribution and achievement against targets; the appraisal on shared credit with its "
        "composite score.",
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
            [
                big_number("rm_perf_score", "平均综合得分", "Average composite score", perf, "average_score"),
                big_number(
                    "rm_perf_nc", "考核净贡献（万元）", "Credited net contribution", perf, "credited_net_contribution"
                ),
                big_number("rm_perf_shared", "分润客户数", "Shared customers", perf, "shared_customers"),
            ],
            [
                table(
                    "rm_perf_table",
                    "客户经理绩效考核表（分润、按天折算）",
                    "RM performance appraisal (shared credit, pro-rated by days)",
                    perf,
                    ["rm_id", "rm_type_code", "rm_grade_code", "level3_branch_name", "month_status"],
                    [
                        "average_score",
                        "best_rank",
                        "credited_net_contribution",
                        "credited_economic_profit",
                        "credited_aum",
                        "customer_equivalents",
                        "shared_customers",
                        "aum_achievement",
                        "net_contribution_achievement",
                    ],
                )
            ],
            [
                trend(
                    "rm_perf_trend", "综合得分趋势", "Composite score trend", perf, ["average_score"], ["rm_type_code"]
                )
            ],
        ],
    )
