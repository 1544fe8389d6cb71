"""营销活动 (Campaigns): each campaign's results against its randomly held-out control group — conversion uplift
with its 95 % confidence interval, incremental AUM and net contribution, cost per acquisition and ROI — per segment
and per branch, and the funnel from list to conversion (marts.rpt_campaign_performance, marts.fct_campaign_members).

Uplift is not additive: every figure is read from the report's own rows (whole campaign, per segment, per branch),
never summed across them. A campaign without a control group shows 不可测, never a zero uplift. Branch managers see
the rows of their own branches only (row-level security through the branch of a BRANCH row and the home branch of a
listed customer); the whole-campaign and segment rows carry no branch, so they see none of those.
"""

from __future__ import annotations

from dashboards.charts import Dashboard, bars, big_number, only, table
from dashboards.cubes import Cube
from dashboards.filters import BRANCHES, DATE, Filter

CAMPAIGN = Filter("campaign", "营销活动", "campaign_name")


def board(cubes: dict[str, Cube]) -> Dashboard:
    perf = cubes["campaign_performance"]
    members = cubes["campaign_members"]
    total = "is_campaign_total"
    return Dashboard(
        slug="campaigns",
        title_zh="营销活动",
        title_en="Campaigns",
        description="Campaign results against a randomly held-out control group: uplift with its confidence "
        "interval, incremental AUM and contribution, cost per acquisition, ROI, and the funnel.",
        filters=(DATE, CAMPAIGN, *BRANCHES),
        rows=[
            [
                only(big_number("campaign_count", "营销活动数", "Campaigns", perf, "campaigns"), total, perf),
                only(big_number("campaign_cost", "活动成本（万元）", "Cost", perf, "cost"), total, perf),
                only(big_number("campaign_incremental_aum", "增量AUM（万元）", "Incremental AUM", perf,
                                "incremental_aum"), total, perf),
                only(big_number("campaign_incremental_contribution", "增量净贡献（万元）",
                                "Incremental net contribution", perf, "incremental_net_contribution"), total, perf),
            ],
            [
                only(table(
                    "campaign_results",
                    "活动效果：目标组对比对照组（不可测 = 无对照组，非零）",
                    "Campaign results: target against control (不可测 = no control group, not zero)",
                    perf,
                    ["campaign_name", "product_family_name", "channel_name", "uplift_status_name",
                     "is_window_closed"],
                    ["target_members", "control_members", "reach_rate", "target_conversion_rate",
                     "control_conversion_rate", "conversion_uplift", "conversion_uplift_ci_low",
                     "conversion_uplift_ci_high", "incremental_aum", "incremental_net_contribution", "cost",
                     "cost_per_acquisition", "roi"],
                    limit=100,
                ), total, perf),
            ],
            [
                only(bars("campaign_uplift_by_segment", "各客群转化率：目标组与对照组",
                          "Conversion by segment: target and control", perf, "segment_name",
                          ["target_conversion_rate", "control_conversion_rate", "conversion_uplift"]),
                     "is_segment_breakdown", perf),
                bars("campaign_funnel", "营销漏斗：名单、接触、触达、意向、响应、转化",
                     "Funnel: listed, contacted, reached, interested, responded, converted", members,
                     "list_group_name", ["listed", "contacted", "reached", "interested", "responded", "converted"]),
            ],
            [
                only(table(
                    "campaign_by_segment",
                    "各客群提升及置信区间",
                    "Uplift by segment with confidence intervals",
                    perf,
                    ["campaign_name", "segment_name", "uplift_status_name"],
                    ["target_members", "control_members", "conversion_uplift", "conversion_uplift_ci_low",
                     "conversion_uplift_ci_high", "incremental_aum_per_member", "incremental_aum_per_member_ci_low",
                     "incremental_aum_per_member_ci_high"],
                    limit=100,
                ), "is_segment_breakdown", perf),
            ],
            [
                only(table(
                    "campaign_by_branch",
                    "各机构活动效果",
                    "Results by branch",
                    perf,
                    ["campaign_name", "level3_branch_name", "branch_name", "uplift_status_name"],
                    ["target_members", "target_converters", "target_conversion_rate", "conversion_uplift",
                     "incremental_aum", "cost"],
                    limit=200,
                ), "is_branch_breakdown", perf),
                table("campaign_control_contacted", "对照组被接触客户（已剔除出提升测算）",
                      "Control customers contacted (left out of the uplift)", members,
                      ["campaign_id", "level3_branch_name"], ["control_contacted"], limit=50),
            ],
        ],
    )
