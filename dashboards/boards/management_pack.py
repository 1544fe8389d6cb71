"""经营分析月报 (Monthly management pack): the month just closed, laid out for an A4 page, sent as PDF.

Every chart reads the pack's cube (``rpt_management_pack``), the rate/volume cube or the plan-vs-actual cube
(``rpt_plan_vs_actual_monthly``: 经营计划完成情况), limited to the latest closed month, so the pack never shows a month
in progress whatever day it is sent. Rows of at most four KPIs fit the A4 width of the PDF printer
(dashboards/report_pdf.py).
"""

from __future__ import annotations

from dataclasses import replace

from dashboards.charts import Dashboard, bars, big_number, only, table
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES

LATEST = "is_latest_closed_month"
DROP = "is_net_contribution_drop"


def board(cubes: dict[str, Cube]) -> Dashboard:
    pack, rate_volume, plan = cubes["management_pack"], cubes["nii_rate_volume"], cubes["plan_vs_actual"]

    def latest(chart):  # type: ignore[no-untyped-def]
        return only(chart, LATEST, pack)

    def plan_table(key: str, zh: str, en: str, kind: str, unit: str):  # type: ignore[no-untyped-def]
        metrics = [f"plan_{unit}", f"actual_{unit}", "achievement", f"plan_ytd_{unit}", f"actual_ytd_{unit}",
                   "achievement_ytd"]
        chart = table(key, zh, en, plan, ["plan_measure_name"], metrics, limit=10)
        return only(only(chart, LATEST, plan), kind, plan)

    ranking = ["net_contribution", "net_contribution_mom", "net_contribution_ytd", "deposits", "loans"]
    return Dashboard(
        slug="management-pack",
        title_zh="经营分析月报",
        title_en="Monthly management pack",
        description="The month just closed: KPIs with month on month, year to date and year on year; plan vs "
        "actual; top and bottom branches; by product line.",
        filters=BRANCHES,
        rows=[
            # The month the pack is about, printed at the top of the page.
            [
                replace(
                    latest(
                        table(
                            "pack_month",
                            "报告月份（最近结账月）",
                            "Month reported",
                            pack,
                            ["year_month"],
                            ["net_contribution"],
                            limit=10,  # one row (the latest closed month); a limit of 1 would be flagged as cut off
                        )
                    ),
                    height=16,
                )
            ],
            [
                latest(big_number("pack_nc", "本月净贡献（万元）", "Net contribution", pack, "net_contribution")),
                latest(big_number("pack_nc_mom", "净贡献环比", "Net contribution MoM", pack, "net_contribution_mom")),
                latest(
                    big_number(
                        "pack_nc_ytd", "本年累计净贡献（万元）", "Net contribution YTD", pack, "net_contribution_ytd"
                    )
                ),
                latest(big_number("pack_nc_yoy", "净贡献同比", "Net contribution YoY", pack, "net_contribution_yoy")),
            ],
            [
                latest(big_number("pack_deposits", "存款日均（亿元）", "Deposits ADB", pack, "deposits")),
                latest(big_number("pack_loans", "贷款日均（亿元）", "Loans ADB", pack, "loans")),
                latest(big_number("pack_fees", "手续费收入（万元）", "Fee income", pack, "fee_income")),
                latest(big_number("pack_ep", "经济利润（万元）", "Economic profit", pack, "economic_profit")),
            ],
            [
                latest(
                    table(
                        "pack_top_branches",
                        "净贡献前十支行",
                        "Top 10 branches",
                        pack,
                        ["region_name", "level3_branch_name"],
                        ranking,
                        limit=10,
                    )
                ),
                latest(
                    table(
                        "pack_bottom_branches",
                        "净贡献后十支行",
                        "Bottom 10 branches",
                        pack,
                        ["region_name", "level3_branch_name"],
                        ranking,
                        limit=10,
                        ascending=True,
                    )
                ),
            ],
            [
                latest(
                    bars(
                        "pack_by_region",
                        "分行净贡献（万元）",
                        "Net contribution by region",
                        pack,
                        "region_name",
                        ["net_contribution", "net_contribution_prev_month"],
                    )
                ),
            ],
            # 经营计划完成情况: the month's and the year-to-date achievement of the plan, bank-wide (a branch filter
            # or a branch manager's row-level security narrows it to the branch subtree's outlets).
            [
                plan_table("pack_plan_balances", "存贷款日均计划完成（亿元）", "Plan vs actual: balances",
                           "is_balance_measure", "yi"),
                plan_table("pack_plan_flows", "收入与净贡献计划完成（万元）", "Plan vs actual: income",
                           "is_flow_measure", "wan"),
            ],
            [
                only(
                    table(
                        "pack_rate_volume",
                        "净利息收入量价分析（万元）",
                        "Net interest income rate/volume",
                        rate_volume,
                        ["product_line_name"],
                        ["net_interest_income", "net_interest_income_change", "volume_effect", "rate_effect"],
                        limit=20,
                    ),
                    LATEST,
                    rate_volume,
                ),
            ],
            [
                only(
                    latest(
                        table(
                            "pack_drop_branches",
                            "净贡献环比骤降支行",
                            "Branches whose contribution fell",
                            pack,
                            ["region_name", "level3_branch_name"],
                            ranking,
                            limit=20,
                            ascending=True,
                        )
                    ),
                    DROP,
                    pack,
                ),
            ],
        ],
    )
