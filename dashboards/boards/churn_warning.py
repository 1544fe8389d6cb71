"""流失预警 (Churn early warning): each RM's valuable customers most likely to leave, with the reasons, from the churn
model's latest scores (marts.fct_churn_scores_monthly); branch managers see their own branches (row-level security
through the customer's home branch, like every party cube)."""

from __future__ import annotations

from dashboards.charts import Dashboard, bars, big_number, table
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES, DATE, RM, TIER


def board(cubes: dict[str, Cube]) -> Dashboard:
    churn, drops = cubes["churn_scores"], cubes["aum_drop_alert"]
    return Dashboard(
        slug="churn-warning",
        title_zh="流失预警",
        title_en="Churn early warning",
        description="Customers most likely to leave in the next months, their value at risk and the reasons.",
        filters=(DATE, *BRANCHES, RM, TIER),
        rows=[
            [
                big_number("churn_at_risk", "高风险客户数", "Customers at risk", churn, "at_risk_customers"),
                big_number("churn_mean_p", "平均流失概率", "Mean churn probability", churn, "mean_probability"),
                big_number("churn_at_risk_aum", "高风险客户资产（万元）", "AUM at risk", churn, "at_risk_aum"),
                big_number("churn_var", "风险价值（万元）", "Value at risk", churn, "value_at_risk"),
            ],
            [
                table(
                    "churn_customers",
                    "高价值高风险客户及原因",
                    "Valuable customers at risk, with reasons",
                    churn,
                    ["party_id", "rm_id", "level3_branch_name", "risk_decile", "reasons"],
                    ["value_at_risk", "aum", "mean_probability"],
                    limit=100,
                ),
            ],
            # The customers whose AUM fell sharply on the latest day: the table each RM's alert mails (row-level
            # security: an RM sees their own customers only, a branch manager their branches').
            [
                table(
                    "aum_drop_customers",
                    "昨日资产骤降客户",
                    "Customers whose AUM fell sharply",
                    drops,
                    ["business_date", "party_id", "rm_id", "level3_branch_name"],
                    ["aum_previous", "aum_latest", "aum_drop"],
                    limit=200,
                ),
            ],
            [
                bars("churn_by_branch", "各支行高风险客户", "Customers at risk by branch", churn,
                     "level3_branch_name", ["at_risk_customers"]),
                bars("churn_by_reason", "主要流失原因", "Main reasons", churn, "reason_1", ["at_risk_customers"]),
            ],
        ],
    )
