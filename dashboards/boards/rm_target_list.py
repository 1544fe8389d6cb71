"""产品推荐名单 (RM target list): each RM's customers ranked by their propensity to open the best product family they
do not hold yet, with the reasons in words (the next-best-product model's latest scores,
marts.fct_next_best_product_monthly), and the customers' behavioural segments (marts.fct_customer_segments_monthly).
Branch managers see their own branches only (row-level security through the customer's home branch, like every
party cube, and the 流失预警 board); the list table exports as CSV with those rows only."""

from __future__ import annotations

from dashboards.charts import Dashboard, bars, big_number, table, trend
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES, DATE, RM, TIER


def board(cubes: dict[str, Cube]) -> Dashboard:
    nbp = cubes["next_best_product"]
    segments = cubes["customer_segments"]
    return Dashboard(
        slug="rm-target-list",
        title_zh="产品推荐名单",
        title_en="RM target list",
        description="Each RM's customers ranked by their propensity to open the next best product, with reasons; "
        "behavioural segments.",
        filters=(DATE, *BRANCHES, RM, TIER),
        rows=[
            [
                big_number("nbp_customers", "名单客户数", "Customers listed", nbp, "customers"),
                big_number("nbp_expected", "预计开户数", "Expected openers", nbp, "expected_openers"),
                big_number("nbp_mean", "平均购买倾向", "Mean propensity", nbp, "mean_propensity"),
            ],
            [
                table(
                    "nbp_target_list",
                    "客户经理营销名单（可导出CSV）",
                    "Target list by RM (export as CSV)",
                    nbp,
                    ["rm_id", "rank_in_book", "party_id", "level3_branch_name", "product_family_name_zh", "reasons"],
                    ["max_propensity", "aum"],
                    limit=1000,
                ),
            ],
            [
                bars("nbp_by_product", "推荐产品分布", "Next best product", nbp, "product_family_name_zh",
                     ["customers", "expected_openers"]),
                bars("nbp_by_branch", "各支行预计开户数", "Expected openers by branch", nbp, "level3_branch_name",
                     ["expected_openers"]),
            ],
            [
                trend("segments_trend", "客户行为分群（每月客户数）", "Behavioural segments by month", segments,
                      ["customers"], groupby=["segment_name"], bar=True),
                bars("segments_movers", "本月变动分群的客户", "Customers who changed segment", segments,
                     "segment_name", ["movers"]),
            ],
        ],
    )
