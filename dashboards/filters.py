"""The native filters a dashboard can offer; each board lists its own (``dashboards/boards/*.py``).

A filter on a column targets the first cube of the dashboard that has the column and then applies, by column name,
to every chart of the dashboard (Superset skips it for a chart whose dataset lacks the column).
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.cubes import MONTH_COMPLETE


@dataclass(frozen=True)
class Filter:
    key: str  # in the filter's id, NATIVE_FILTER-<dashboard slug>-<key>: renaming it breaks saved filter states
    title: str
    column: str | None  # None: the date range over each chart's time column
    parent: Filter | None = None  # cascades from it: its selection narrows this filter's values
    default: tuple[str, ...] = ()  # values selected when the dashboard opens


DATE = Filter("date", "日期", None)
REGION = Filter("region", "分行", "region_name")
BRANCH = Filter("branch", "支行", "level3_branch_name", REGION)
SUB_BRANCH = Filter("sub_branch", "网点", "sub_branch_name", BRANCH)
PRODUCT_LINE = Filter("product_line", "产品线", "product_line_name")
PRODUCT = Filter("product", "产品", "product_name", PRODUCT_LINE)
SEGMENT = Filter("segment", "客群", "segment_name")
TIER = Filter("tier", "AUM层级", "aum_tier_name_zh")
RM = Filter("rm", "客户经理", "rm_id")
# Complete months by default; the running month (月初至今) only when chosen, so that a partial month is never read as
# a fall against a full one.
MONTH_STATUS = Filter("month_status", "月份状态", "month_status", default=(MONTH_COMPLETE,))

# The two hierarchies, parents first (a cascading filter must follow its parent on the dashboard).
BRANCHES = (REGION, BRANCH, SUB_BRANCH)
PRODUCTS = (PRODUCT_LINE, PRODUCT)
