"""The cubes read from the dbt yml and the generated Superset bundle (no Superset needed; seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from crmwh.cli import cli
from dashboards import security, settings
from dashboards.bundle import bundle_files, check_bundle, native_filters, read_bundle, write_bundle
from dashboards.charts import Dashboard, big_number, table
from dashboards.cubes import PII_MARKERS, CubeError, cube_from_model, load_cubes
from dashboards.filters import BRANCH, DATE, REGION

CUBES = (
    "contribution",
    "balances",
    "transactions",
    "card_transactions",
    "branch_costs",
    "customer_value",
    "rm_scorecard",
    "rm_performance",
    "risk",
    "classification_migration",
    "profit_bridge",
    "data_quality",
    "churn_scores",
    "churn_feature_drift",
    "next_best_product",
    "customer_segments",
    "campaign_performance",
    "campaign_members",
)
# cubes with no customer, account or branch behind them: nothing to slice by branch
UNBRANCHED = ("data_quality", "churn_feature_drift")
DASHBOARDS = {
    "管理驾驶舱",
    "利润还原",
    "客户价值",
    "产品盈利",
    "机构与成本",
    "客户经理考核",
    "信用与风险",
    "交易与渠道",
    "对公客户",
    "流失预警",
    "产品推荐名单",
    "数据质量",
    "经营分析月报",
    "支行周报",
    "营销活动",
}


@pytest.fixture(scope="module")
def cubes():
    return load_cubes()


@pytest.fixture(scope="module")
def bundle():
    return {name: yaml.safe_load(text) for name, text in bundle_files().items()}


def test_every_required_cube_exists_with_metrics(cubes) -> None:
    for name in CUBES:
        assert name in cubes, name
        assert cubes[name].metrics
        assert cubes[name].zh and cubes[name].en


# Bank-level cubes and their dashboards: no branch hierarchy (data quality; the bridge to the bank's ledger).
BANK_LEVEL_CUBES = {"data_quality", "profit_bridge", "churn_feature_drift"}
BANK_LEVEL_BOARDS = {"data-quality", "profit-bridge"}


def test_slicing_hierarchies_on_branch_cubes(cubes) -> None:
    for cube in cubes.values():
        names = {c.name for c in cube.columns}
        if cube.name not in UNBRANCHED:
            assert {"year_number", "quarter_label", "year_month"} <= names, cube.name
        if cube.name not in BANK_LEVEL_CUBES:
            assert {"region_name", "level3_branch_name", "sub_branch_name", "level3_branch_code"} <= names, cube.name
    assert {"product_line_name", "category_name", "product_name"} <= {c.name for c in cubes["contribution"].columns}
    assert {"segment_code", "rm_id"} <= {c.name for c in cubes["contribution"].columns}


def test_no_pii_in_any_dataset(cubes, bundle) -> None:
    for cube in cubes.values():
        assert "restricted_pii" not in cube.sql
        for column in cube.columns:
            assert not any(marker in column.name for marker in PII_MARKERS), (cube.name, column.name)
    for name, doc in bundle.items():
        if name.startswith("datasets/"):
            assert "restricted_pii" not in doc["sql"]
            assert "_masked" not in doc["sql"] and "account_id" not in doc["sql"], name


def test_money_metrics_stay_decimal_and_ratios_are_ratios_of_sums(cubes) -> None:
    con = cubes["contribution"]
    wan = con.metric("net_contribution")
    assert wan.unit == "wan" and wan.expression == "(SUM(net_contribution)) * 0.0001"
    assert "/" not in wan.expression
    assert wan.verbose_name.endswith("（万元）")
    assert con.metric("net_contribution_yi").expression.endswith("* 0.00000001")
    cir = con.metric("cost_to_income_ratio").sql
    assert cir.startswith("SUM(allocated_operating_cost) / NULLIF(SUM(") and "AVG" not in cir
    # annualised by the days the months cover (× 365 / Σ capital × days), never × 12, still a ratio of sums
    assert con.metric("raroc").sql.startswith(
        "SUM(net_contribution) * 365 / NULLIF(SUM(economic_capital * observed_days)")
    assert con.metric("net_interest_margin").sql.startswith(
        "SUM(net_interest_contribution) * 365 / NULLIF(SUM(ABS(average_daily_balance_cny) * observed_days)")
    assert "* 12" not in con.metric("net_interest_margin").sql + con.metric("raroc").sql
    assert con.metric("net_interest_margin").unit == "pct"


def test_campaign_board_reads_uplift_from_its_own_rows_under_branch_security(cubes, bundle) -> None:
    # uplift is not additive: every chart of the campaign report picks one breakdown (campaign, segment or branch)
    # and never sums uplift across them; both campaign cubes carry the branch hierarchy row-level security filters on
    perf, members = cubes["campaign_performance"], cubes["campaign_members"]
    assert perf.branch_filtered and members.branch_filtered
    assert "/" not in perf.metric("incremental_aum").expression and perf.metric("incremental_aum").unit == "wan"
    dataset = next(d["uuid"] for n, d in bundle.items() if n.startswith("datasets/") and d["table_name"] ==
                   perf.name)
    charts = [d for n, d in bundle.items() if n.startswith("charts/") and d["dataset_uuid"] == dataset]
    assert len(charts) >= 5
    breakdowns = ("is_campaign_total", "is_segment_breakdown", "is_branch_breakdown")
    for chart in charts:
        where = chart["query_context"] if isinstance(chart["query_context"], str) else str(chart["query_context"])
        assert sum(b in where for b in breakdowns) == 1, chart["slice_name"]


def test_column_titles_chinese_and_descriptions_from_yml(cubes) -> None:
    column = cubes["contribution"].column("interest_income")
    assert column.zh == "利息收入"
    assert "Step 1" in column.description  # the yml description
    assert cubes["contribution"].column("region_name").zh == "分行"


def test_bad_meta_is_named(tmp_path: Path) -> None:
    model = {
        "name": "fct_x",
        "columns": [{"name": "month_start"}],
        "config": {
            "meta": {
                "superset": {
                    "cube": "x",
                    "title": {"zh": "甲", "en": "X"},
                    "time_column": "month_start",
                    "metrics": [{"name": "m", "zh": "m", "en": "m", "sql": "SUM(a", "unit": "wan", " 0)": None}],
                }
            }
        },
    }
    with pytest.raises(CubeError, match=r"x.yml: fct_x: metric m: unknown keys"):
        cube_from_model(model, "x.yml: fct_x")
    model["config"]["meta"]["superset"]["metrics"] = [{"name": "m", "zh": "m", "en": "m", "sql": "1", "unit": "eur"}]
    with pytest.raises(CubeError, match="unit 'eur'"):
        cube_from_model(model, "x.yml: fct_x")
    model["config"]["meta"]["superset"]["hidden"] = ["nope"]
    with pytest.raises(CubeError, match="'nope'"):
        cube_from_model(model, "x.yml: fct_x")


def test_bundle_is_committed_and_up_to_date() -> None:
    assert read_bundle() == bundle_files(), "run `crmwh assets`"


def test_bundle_is_deterministic() -> None:
    assert bundle_files() == bundle_files()


def test_check_names_the_files_out_of_date(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    assert CliRunner().invoke(cli, ["assets", "--check", "--out", str(out)]).exit_code == 2  # no bundle yet
    assert CliRunner().invoke(cli, ["assets", "--out", str(out)]).exit_code == 0
    assert check_bundle(out) == []
    (out / "charts/mgmt_nc.yaml").write_text("slice_name: stale\n", encoding="utf-8")
    (out / "dashboards/corporate.yaml").unlink()
    (out / "datasets/crmwh/retired.yaml").write_text("table_name: retired\n", encoding="utf-8")
    assert check_bundle(out) == ["charts/mgmt_nc.yaml", "dashboards/corporate.yaml", "datasets/crmwh/retired.yaml"]
    stale = CliRunner().invoke(cli, ["assets", "--check", "--out", str(out)])
    assert stale.exit_code == 2 and "3 files" in stale.output
    assert write_bundle(out) == read_bundle(out)  # rewriting drops the extra file
    assert check_bundle(out) == []


def test_chart_builders_check_names_against_the_cube(cubes) -> None:
    with pytest.raises(KeyError, match="cube contribution has no metric 'net_contrib'"):
        big_number("x", "甲", "X", cubes["contribution"], "net_contrib")
    with pytest.raises(KeyError, match="cube data_quality has no column 'region_name'"):
        table("x", "甲", "X", cubes["data_quality"], ["region_name"], ["failures"])


def test_filters_must_target_a_cube_of_the_dashboard_and_follow_their_parent(cubes) -> None:
    def board(cube: str, metric: str, *filters) -> Dashboard:
        chart = big_number("x", "甲", "X", cubes[cube], metric)
        return Dashboard(slug="x", title_zh="甲", title_en="X", description="x", filters=filters, rows=[[chart]])

    assert [f["name"] for f in native_filters(board("data_quality", "failures", DATE), cubes)] == ["日期"]
    with pytest.raises(ValueError, match=r"dashboard x: filter 'region' needs the column 'region_name'.*data_quality"):
        native_filters(board("data_quality", "failures", DATE, REGION), cubes)
    with pytest.raises(ValueError, match="filter 'branch' cascades from 'region', which must come before it"):
        native_filters(board("contribution", "net_contribution", DATE, BRANCH, REGION), cubes)
    branch = native_filters(board("contribution", "net_contribution", DATE, REGION, BRANCH), cubes)[2]
    assert branch["cascadeParentIds"] == ["NATIVE_FILTER-x-region"]


def test_bundle_references_the_warehouse_by_fixed_uuid(bundle) -> None:
    uuid = str(settings.WAREHOUSE_DATABASE_UUID)
    assert bundle["databases/crmwh.yaml"]["uuid"] == uuid
    datasets = {doc["uuid"] for name, doc in bundle.items() if name.startswith("datasets/")}
    for name, doc in bundle.items():
        if name.startswith("datasets/"):
            assert doc["database_uuid"] == uuid
        if name.startswith("charts/"):
            assert doc["dataset_uuid"] in datasets, name
            context = json.loads(doc["query_context"])
            assert context["queries"] and context["form_data"]["viz_type"] == doc["viz_type"]


def test_dashboards_chinese_titles_filters_and_cross_filtering(bundle) -> None:
    boards = [doc for name, doc in bundle.items() if name.startswith("dashboards/")]
    assert {b["dashboard_title"] for b in boards} == DASHBOARDS
    charts = {doc["uuid"] for name, doc in bundle.items() if name.startswith("charts/")}
    for board in boards:
        meta = board["metadata"]
        assert meta["cross_filters_enabled"] is True
        filters = {f["name"]: f for f in meta["native_filter_configuration"]}
        # The mailed boards show the latest closed month whatever the day: no date to choose.
        assert ("日期" in filters) is (board["slug"] not in ("management-pack", "branch-weekly")), board["slug"]
        if board["slug"] not in BANK_LEVEL_BOARDS:
            assert {"分行", "支行", "网点"} <= set(filters), board["slug"]
            assert filters["支行"]["cascadeParentIds"] == [filters["分行"]["id"]]
        placed = [
            v["meta"]["uuid"] for v in board["position"].values() if isinstance(v, dict) and v.get("type") == "CHART"
        ]
        assert placed and set(placed) <= charts
        assert board["description"]  # English counterpart


def test_branch_clause_covers_every_level_and_quotes() -> None:
    clause = security.branch_clause("110100")
    for column in ("region_code", "level3_branch_code", "sub_branch_code"):
        assert f"{column} = '110100'" in clause
    assert "''" in security.branch_clause("x'y")


def _board(bundle, slug: str) -> dict:
    return bundle[f"dashboards/{slug}.yaml"]


def _placed(board: dict) -> set[str]:
    return {v["meta"]["uuid"] for v in board["position"].values() if isinstance(v, dict) and v.get("type") == "CHART"}


def test_pareto_curve_on_the_customer_value_dashboard(bundle, cubes) -> None:
    chart = bundle["charts/cv_pareto_curve.yaml"]
    assert chart["slice_name"].startswith("帕累托曲线") and chart["description"].startswith("Pareto curve")
    assert chart["viz_type"] == "echarts_timeseries_line"
    params = chart["params"]
    # x: the percentile band of the customer's rank (1..100), kept in its own order; y: a share, 0–100 %
    assert params["x_axis"] == "customer_rank_percentile" == params["x_axis_sort"] and params["x_axis_sort_asc"]
    assert params["metrics"] == ["pareto_cumulative_share"] and params["y_axis_bounds"] == [0, 1]
    metric = cubes["customer_value"].metric("pareto_cumulative_share")
    assert metric.unit == "pct" and metric.sql == "AVG(percentile_cumulative_share)"
    assert chart["uuid"] in _placed(_board(bundle, "customer-value"))


def test_classification_migration_matrix_on_the_credit_risk_dashboard(bundle, cubes) -> None:
    chart = bundle["charts/risk_migration.yaml"]
    assert chart["slice_name"].startswith("五级分类迁徙矩阵") and chart["viz_type"] == "pivot_table_v2"
    params = chart["params"]
    assert params["groupbyRows"] == ["from_classification_label"]
    assert params["groupbyColumns"] == ["to_classification_label"]
    assert params["metrics"] == ["loans", "migrated_exposure"] and params["rowTotals"] and params["rowSubTotals"]
    assert not params["colTotals"]  # a grand total down the columns would add loans to 万元
    cube = cubes["classification_migration"]
    assert cube.model == "rpt_credit_classification_migration" and cube.branch_filtered
    assert cube.metric("migrated_exposure").unit == "wan"
    assert cube.metric("migrated_exposure").verbose_name == "迁徙EAD（万元）"
    assert chart["uuid"] in _placed(_board(bundle, "credit-risk"))


def test_profit_bridge_board_is_bank_level_in_wan(bundle, cubes) -> None:
    """The 利润还原 dashboard: a waterfall of the bridge lines in 万元, on a cube without the branch hierarchy (so
    row-level security never hands a branch manager the bank's ledger)."""
    cube = cubes["profit_bridge"]
    assert not cube.branch_filtered
    assert cube.metric("amount").unit == "wan" and cube.metric("gl_pre_provision_profit").unit == "wan"
    board = bundle["dashboards/profit-bridge.yaml"]
    assert board["dashboard_title"] == "利润还原"
    waterfall = bundle["charts/bridge_waterfall.yaml"]
    assert waterfall["viz_type"] == "waterfall" and waterfall["params"]["x_axis"] == "step_name"
    assert "万元" in waterfall["slice_name"]


def test_monthly_dashboards_open_on_complete_months_and_label_the_running_one(bundle, cubes) -> None:
    # every cube over a monthly mart labels its months 完整月 / 月初至今 from the mart's is_month_complete
    monthly = [c for c in cubes.values() if any(col.name == "is_month_complete" for col in c.columns)]
    assert {"contribution", "customer_value", "rm_scorecard", "rm_performance", "risk", "branch_costs"} <= {
        c.name for c in monthly
    }
    for cube in monthly:
        status = cube.column("month_status")
        assert status.zh == "月份状态"
        assert "'完整月'" in status.expression and "'月初至今'" in status.expression
        assert "AS month_status" in cube.sql
    boards = [doc for name, doc in bundle.items() if name.startswith("dashboards/")]
    with_status = 0
    for board in boards:
        filters = {f["name"]: f for f in board["metadata"]["native_filter_configuration"]}
        if "月份状态" not in filters:
            continue
        with_status += 1
        mask = filters["月份状态"]["defaultDataMask"]
        assert mask["filterState"]["value"] == ["完整月"], board["slug"]
        assert mask["extraFormData"]["filters"] == [{"col": "month_status", "op": "IN", "val": ["完整月"]}]
    # all but transactions & channels (daily facts), data quality, the two mailed boards, which show the latest
    # closed month only, churn warning and the RM target list, whose scores exist for complete months only, and
    # campaigns (per campaign, not per month)
    without = {board["slug"] for board in boards} - {
        b["slug"] for b in boards
        if "月份状态" in {f["name"] for f in b["metadata"]["native_filter_configuration"]}
    }
    assert without == {"transactions-channels", "data-quality", "management-pack", "branch-weekly", "churn-warning",
                       "rm-target-list", "campaigns"}
    assert with_status == len(boards) - len(without)


def test_no_chart_writes_english_month_names(bundle) -> None:
    """Superset's smart_date format writes "Mar 2025"; every date on an axis, in a tooltip or a table is numeric."""
    charts = {name: doc for name, doc in bundle.items() if name.startswith("charts/")}
    assert charts
    for name, doc in charts.items():
        params = doc["params"]
        assert "smart_date" not in {str(v) for v in params.values()}, name
        if params["viz_type"].startswith("echarts_timeseries") and "time_grain_sqla" in params:  # a time axis
            expected = "%Y-%m" if params["time_grain_sqla"] == "P1M" else "%Y-%m-%d"
            assert params["x_axis_time_format"] == params["tooltipTimeFormat"] == expected, name
