"""支行周报 (Branch weekly): the branch league table, the plan achievement of its outlets and the RM scorecard, mailed
to each branch manager weekly.

Row-level security narrows it to the reader's branch subtree; the report runs as the manager (the schedule's owner),
so the PDF in their mail holds exactly what they see in Superset (dashboards/reports/branch_weekly.yaml).
"""

from __future__ import annotations

from dashboards.charts import Dashboard, only, table
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES


def board(cubes: dict[str, Cube]) -> Dashboard:
    pack, rm, plan = cubes["management_pack"], cubes["rm_scorecard"], cubes["plan_vs_actual"]
    return Dashboard(
        slug="branch-weekly",
        title_zh="支行周报",
        title_en="Branch weekly",
        description="Branch league table of the month just closed, plan achievement and the RM scorecard, per branch "
        "subtree.",
        filters=BRANCHES,
        rows=[
            [
                only(
                    table(
                        "weekly_league",
                        "机构排行榜（最近结账月）",
                        "Branch league table (latest closed month)",
                        pack,
                        ["region_name", "level3_branch_name", "sub_branch_name"],
                        ["net_contribution", "net_contribution_mom", "deposits", "loans", "fee_income"],
                    ),
                    "is_latest_closed_month",
                    pack,
                )
            ],
            [
                only(
                    table(
                        "weekly_plan",
                        "经营计划完成率（最近结账月）",
                        "Plan achievement (latest closed month)",
                        plan,
                        ["level3_branch_name", "sub_branch_name", "plan_measure_name"],
                        ["achievement", "achievement_ytd"],
                        limit=60,
                    ),
                    "is_latest_closed_month",
                    plan,
                )
            ],
            [
                table(
                    "weekly_rm_scorecard",
                    "客户经理考核表",
                    "RM scorecard",
                    rm,
                    ["year_month", "level3_branch_name", "rm_id"],
                    ["book_customers", "book_aum", "net_contribution", "net_contribution_achievement"],
                    limit=30,
                )
            ],
        ],
    )
