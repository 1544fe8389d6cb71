"""The generated Superset assets over the shared generated bank (scale 0.01, 150 days), end to end.

Superset is started through the same entry point as ``make serve`` (bootstrap imports dashboards/assets/bundle),
over a copy of the warehouse of tests/support/bank.py (``crmwh generate``, ingest and build, then validated, so the
data-quality dashboard has results). ``CRMWH_TEST_WAREHOUSE`` reuses an already built file (read only).

Checks: every dashboard and chart answers with rows; per cube, a chart-data answer (CSV: exact decimal text) equals
the same sum computed by DuckDB straight from the mart table; the demo branch manager sees only their branch
subtree; headless Chromium renders each dashboard (screenshots in test-artifacts/). Chart-data latency over all
dashboard charts is written to test-artifacts/superset-chart-latency.json.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import secrets
import shutil
import statistics
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from dashboards import security
from dashboards.boards import dashboards
from dashboards.bundle import dashboard_yaml
from dashboards.cubes import Cube, load_cubes

from support import superset_harness as harness
from support.bank import ValidatedBank
from support.churn_fixture import score_with_fixture_model
from support.marketing_fixture import score_marketing_with_fixture_models

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CRMWH_TEST_ARTIFACTS") or REPO / "test-artifacts")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not harness.superset_python().exists(), reason="run scripts/superset_setup.sh first"),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    reused = os.environ.get("CRMWH_TEST_WAREHOUSE")
    if reused:
        return Path(reused).resolve()
    # The shared generated bank after the validation gate (raw and marts stages recorded in quality.validation_results,
    # which the data-quality cube reads); this module's copy.
    validated: ValidatedBank = request.getfixturevalue("validated_bank")
    assert validated.report.passed, validated.report.summary()
    path = tmp_path_factory.mktemp("bank") / "crmwh.duckdb"
    shutil.copyfile(validated.warehouse, path)
    score_with_fixture_model(path, tmp_path_factory.mktemp("churn-model"))  # the 流失预警 charts need scores
    score_marketing_with_fixture_models(path, tmp_path_factory.mktemp("marketing-models"))  # and 产品推荐名单
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, warehouse: Path) -> Iterator[harness.SupersetServer]:
    workdir = tmp_path_factory.mktemp("superset-assets")
    with harness.serving(workdir, warehouse, ARTIFACTS / "superset-dashboards-serve.log") as started:
        print(f"\nSuperset with assets started in {started.startup_s:.1f} s on port {started.port}")
        yield started


@pytest.fixture(scope="module")
def admin(server: harness.SupersetServer) -> harness.SupersetClient:
    return server.client()


@pytest.fixture(scope="module")
def cubes() -> dict[str, Cube]:
    return load_cubes()


def _demo_password(server: harness.SupersetServer) -> str:
    data = json.loads((server.workdir / "secrets" / "superset.json").read_text(encoding="utf-8"))
    return str(data[security.SECRET_KEY_DEMO])


def _datasets(api: harness.SupersetClient) -> dict[str, int]:
    found = api.get("/api/v1/dataset/", q="(page_size:100)")["result"]
    return {row["table_name"]: int(row["id"]) for row in found}


def _duck(path: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _csv(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows, "empty CSV answer"
    return rows[1:]


def test_dashboards_and_charts_load_with_rows(admin: harness.SupersetClient) -> None:
    boards = admin.get("/api/v1/dashboard/", q="(page_size:100)")["result"]
    expected = {b["dashboard_title"] for b in (dashboard_yaml(d, load_cubes()) for d in dashboards(load_cubes()))}
    assert {b["dashboard_title"] for b in boards} == expected
    latencies: list[float] = []
    failures: list[str] = []
    per_chart: dict[str, float] = {}
    for board in boards:
        assert admin.get(f"/api/v1/dashboard/{board['id']}")["result"]["dashboard_title"] == board["dashboard_title"]
        charts = admin.get(f"/api/v1/dashboard/{board['id']}/charts")["result"]
        assert charts, board["dashboard_title"]
        for chart in charts:
            started = time.perf_counter()
            answer = admin.session.get(f"{admin.base_url}/api/v1/chart/{chart['id']}/data/", params={"force": "true"})
            latencies.append(time.perf_counter() - started)
            per_chart[f"{board['dashboard_title']}/{chart['slice_name']}"] = round(latencies[-1], 4)
            if answer.status_code != 200:
                failures.append(
                    f"{board['dashboard_title']}/{chart['slice_name']}: HTTP {answer.status_code} {answer.text[:300]}"
                )
                continue
            result = answer.json()["result"][0]
            if result.get("error") or not result.get("rowcount"):
                failures.append(f"{board['dashboard_title']}/{chart['slice_name']}: {result.get('error') or 'no rows'}")
    assert not failures, "\n".join(failures)
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]  # nearest rank
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "superset-chart-latency.json").write_text(
        json.dumps(
            {"charts": len(ordered), "p50_s": p50, "p95_s": p95, "per_chart_s": per_chart}, ensure_ascii=False, indent=2
        ),
        encoding="utf-8",
    )
    print(f"\nchart data over {len(ordered)} charts: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


def _first_sum_metric(cube: Cube) -> tuple[str, str]:
    for metric in cube.metrics:
        if metric.unit == "wan" and metric.sql.startswith("SUM(") and metric.sql.count("(") == 1:
            return metric.name, metric.sql[4:-1]
    raise AssertionError(f"cube {cube.name} has no plain SUM metric in 万元")


@pytest.mark.parametrize(
    "cube_name",
    [
        "contribution",
        "balances",
        "transactions",
        "card_transactions",
        "branch_costs",
        "customer_value",
        "rm_scorecard",
        "rm_performance",
        "risk",
        "corporate_customers",
        "customer_lifetime_value",
        "contribution_steps",
        "classification_migration",
        "profit_bridge",
    ],
)
def test_cube_chart_data_equals_duckdb(
    admin: harness.SupersetClient, cubes: dict[str, Cube], warehouse: Path, cube_name: str
) -> None:
    cube = cubes[cube_name]
    metric, column = _first_sum_metric(cube)
    dataset = _datasets(admin)[cube.name]
    text = admin.chart_data(
        dataset,
        {"columns": ["year_month"], "metrics": [metric], "orderby": [["year_month", True]], "row_limit": 10000},
        result_format="csv",
    )
    got = {row[0]: Decimal(row[1]) for row in _csv(text)}
    t = cube.time_column
    if cube.name == "contribution_steps":
        # Independent of the view: the steps add up to economic profit, straight from the fact table.
        sql = (
            f"SELECT strftime({t}, '%Y-%m'), SUM(economic_profit) * 0.0001 FROM marts.{cube.model} "
            "GROUP BY 1 ORDER BY 1"
        )
    else:
        sql = f"SELECT strftime({t}, '%Y-%m'), SUM({column}) * 0.0001 FROM marts.{cube.model} GROUP BY 1 ORDER BY 1"
    want = {ym: value for ym, value in _duck(warehouse, sql)}
    assert got == want
    assert got and all(isinstance(v, Decimal) for v in got.values())


def test_pareto_curve_equals_duckdb(admin: harness.SupersetClient, warehouse: Path) -> None:
    """The curve's query (percentile band → cumulative share) for one month, against DuckDB; it rises to 100 %."""
    month = _duck(warehouse, "SELECT max(month_start) FROM marts.rpt_customer_value WHERE is_month_complete")[0][0]
    text = admin.chart_data(
        _datasets(admin)["customer_value"],
        {
            "columns": ["customer_rank_percentile"],
            "metrics": ["pareto_cumulative_share"],
            "filters": [{"col": "month_start", "op": "==", "val": month.isoformat()}],
            "orderby": [["customer_rank_percentile", True]],
            "row_limit": 1000,
        },
        result_format="csv",
    )
    got = [(int(band), Decimal(share)) for band, share in _csv(text)]
    want = [
        (band, Decimal(str(share)))
        for band, share in _duck(
            warehouse,
            "SELECT customer_rank_percentile, AVG(percentile_cumulative_share) FROM marts.rpt_customer_value "
            "WHERE month_start = ? GROUP BY 1 ORDER BY 1",
            [month],
        )
    ]
    assert got == want and len(got) == 100  # a bank of ~1,000 customers fills every band
    shares = [share for _, share in got]
    assert shares == sorted(shares) and shares[-1] == 1 and shares[0] > 0


def test_migration_matrix_equals_duckdb(admin: harness.SupersetClient, warehouse: Path) -> None:
    """The matrix chart's query: loans and migrated EAD (万元) per from × to class, exactly as DuckDB sums them."""
    text = admin.chart_data(
        _datasets(admin)["classification_migration"],
        {
            "columns": ["from_classification_label", "to_classification_label"],
            "metrics": ["loans", "migrated_exposure"],
            "orderby": [["from_classification_label", True], ["to_classification_label", True]],
            "row_limit": 1000,
        },
        result_format="csv",
    )
    got = [(f, t, int(n), Decimal(ead)) for f, t, n, ead in _csv(text)]
    want = _duck(
        warehouse,
        "SELECT from_classification_label, to_classification_label, SUM(loans), "
        "SUM(CASE WHEN from_classification = 'NEW' THEN exposure_at_default_cny "
        "ELSE previous_exposure_at_default_cny END) * 0.0001 "
        "FROM marts.rpt_credit_classification_migration GROUP BY 1, 2 ORDER BY 1, 2",
    )
    assert got == [tuple(row) for row in want]
    # Loans staying in 正常 dominate any month's migration; the to-side (without 结清) is every month-end loan.
    assert ("1 正常", "1 正常") in {(f, t) for f, t, _, _ in got}
    classified = _duck(
        warehouse,
        "SELECT COUNT(*) FROM intermediate.int_risk_account_monthly WHERE exposure_source = 'loan' "
        "AND is_outstanding_at_month_end "
        "AND month_start IN (SELECT month_start FROM marts.rpt_credit_classification_migration)",
    )[0][0]
    assert sum(n for _, t, n, _ in got if t != "9 结清/移出") == classified


def test_data_quality_cube_equals_duckdb(admin: harness.SupersetClient, warehouse: Path) -> None:
    text = admin.chart_data(
        _datasets(admin)["data_quality"],
        {"columns": ["stage"], "metrics": ["checks", "failures"], "orderby": [["stage", True]], "row_limit": 100},
        result_format="csv",
    )
    got = [(row[0], int(row[1]), int(row[2])) for row in _csv(text)]
    want = _duck(
        warehouse,
        "SELECT stage, COUNT(*), COUNT(*) FILTER (WHERE NOT success) FROM quality.validation_results "
        "GROUP BY 1 ORDER BY 1",
    )
    assert got == [tuple(r) for r in want] and got


def test_branch_manager_sees_only_their_subtree(
    server: harness.SupersetServer, admin: harness.SupersetClient, warehouse: Path
) -> None:
    branch = _duck(warehouse, "SELECT min(branch_code) FROM marts.dim_branch WHERE branch_level_code = 'BRANCH'")[0][0]
    manager = harness.SupersetClient(server.base_url)
    manager.login(security.DEMO_USER, _demo_password(server))
    ids = _datasets(admin)
    query = {
        "columns": ["level3_branch_code"],
        "metrics": ["net_contribution"],
        "orderby": [["level3_branch_code", True]],
        "row_limit": 1000,
    }
    seen = {
        row[0]: Decimal(row[1]) for row in _csv(manager.chart_data(ids["contribution"], query, result_format="csv"))
    }
    everything = {
        row[0]: Decimal(row[1]) for row in _csv(admin.chart_data(ids["contribution"], query, result_format="csv"))
    }
    assert set(seen) == {branch}
    assert len(everything) > 1
    want = _duck(
        warehouse,
        "SELECT SUM(f.net_contribution) * 0.0001 FROM marts.fct_contribution_monthly f "
        "JOIN marts.dim_branch b USING (branch_code) WHERE b.level3_branch_code = ?",
        [branch],
    )[0][0]
    assert seen[branch] == want == everything[branch]
    # Every branch-sliced cube is filtered, not only the one above.
    # (the RM target list among them: its CSV export holds the manager's branch only)
    for name in ("transactions", "rm_scorecard", "risk", "customer_value", "branch_costs", "classification_migration",
                 "next_best_product", "customer_segments"):
        by_branch = {
            "columns": ["level3_branch_code"],
            "metrics": [load_cubes()[name].metrics[0].name],
            "row_limit": 1000,
        }
        rows = _csv(manager.chart_data(ids[name], by_branch, result_format="csv"))
        assert rows and {r[0] for r in rows} == {branch}, name
    # Data quality has no branch: not granted to branch managers.
    with pytest.raises(harness.HarnessError, match="HTTP 40"):
        manager.chart_data(ids["data_quality"], {"columns": ["stage"], "metrics": ["checks"], "row_limit": 10})


# Every cube with the branch hierarchy: what row-level security must filter.
BRANCH_CUBES = (
    "contribution", "balances", "transactions", "card_transactions", "branch_costs", "customer_value", "rm_scorecard",
    "rm_performance", "risk", "corporate_customers", "customer_lifetime_value", "contribution_steps",
    "classification_migration",
)  # fmt: skip


def _login(server: harness.SupersetServer, users: dict[str, tuple[str, str]]) -> dict[str, harness.SupersetClient]:
    harness.add_users(server, users)
    clients = {}
    for name, (_role, password) in users.items():
        clients[name] = harness.SupersetClient(server.base_url)
        clients[name].login(name, password)
    return clients


def _browser(server: harness.SupersetServer, username: str, password: str) -> requests.Session:
    """A browser's session (cookie, CSRF header): what drill to detail runs in."""
    web = harness.web_session(server.base_url, username, password)
    token = web.get(f"{server.base_url}/api/v1/security/csrf_token/", timeout=60).json()["result"]
    web.headers.update({"X-CSRFToken": token, "Referer": server.base_url})
    return web


def _samples(server: harness.SupersetServer, web: requests.Session, dataset: int) -> list[dict[str, Any]]:
    """Drill to detail's request: the dataset's rows."""
    answer = web.post(
        f"{server.base_url}/datasource/samples",
        params={"datasource_id": dataset, "datasource_type": "table", "force": "true", "per_page": 100, "page": 1},
        json={},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text[:500]
    return list(answer.json()["result"]["data"])


def _branch_codes(api: harness.SupersetClient, dataset: int) -> dict[str, Decimal]:
    """Net contribution (万元) by booking branch code, from a CSV export."""
    query = {"columns": ["branch_code"], "metrics": ["net_contribution"], "row_limit": 10000}
    return {row[0]: Decimal(row[1]) for row in _csv(api.chart_data(dataset, query, result_format="csv"))}


def _subtree_totals(warehouse: Path, branch: str) -> dict[str, Decimal]:
    return {
        code: total
        for code, total in _duck(
            warehouse,
            "SELECT f.branch_code, SUM(f.net_contribution) * 0.0001 FROM marts.fct_contribution_monthly f "
            "JOIN marts.dim_branch b USING (branch_code) "
            "WHERE ? IN (b.region_code, b.level3_branch_code, b.sub_branch_code) GROUP BY 1",
            [branch],
        )
    }


def test_branch_manager_without_a_branch_sees_no_rows(
    server: harness.SupersetServer, admin: harness.SupersetClient
) -> None:
    """Fail closed: a user holding 支行行长 but mapped to no branch gets no row from any branch-sliced dataset, not the
    whole bank: not through chart data (JSON), CSV export or drill to detail."""
    password = secrets.token_urlsafe(12)
    manager = _login(server, {"test_unmapped_manager": (security.BRANCH_MANAGER, password)})["test_unmapped_manager"]
    browser = _browser(server, "test_unmapped_manager", password)
    ids = _datasets(admin)
    leaked = {}
    for name in BRANCH_CUBES:
        by_branch = {"columns": ["level3_branch_code"], "metrics": [load_cubes()[name].metrics[0].name],
                     "row_limit": 1000}  # fmt: skip
        rows = manager.chart_data(ids[name], by_branch)["data"]
        csv_rows = _csv(manager.chart_data(ids[name], by_branch, result_format="csv"))
        detail = _samples(server, browser, ids[name])
        if rows or csv_rows or detail:
            leaked[name] = (len(rows), len(csv_rows), len(detail))
        assert _csv(admin.chart_data(ids[name], by_branch, result_format="csv")), name  # the admin sees rows
    assert leaked == {}


def test_users_sync_gives_each_branch_manager_exactly_their_subtree(
    server: harness.SupersetServer, admin: harness.SupersetClient, warehouse: Path, tmp_path: Path
) -> None:
    """`crmwh users sync` maps branch managers from the published warehouse: a user named by an RM's staff id gets the
    subtree of the RM's branch (marts.dim_relationship_manager), a user listed in the managers file gets that branch;
    a manager mapped to nothing is reported (exit 1) and keeps seeing nothing."""
    rm_id, rm_branch = _duck(
        warehouse,
        "SELECT r.rm_id, r.branch_code FROM marts.dim_relationship_manager r "
        "JOIN marts.fct_contribution_monthly f USING (rm_id) WHERE r.is_active GROUP BY ALL ORDER BY 1 LIMIT 1",
    )[0]
    region = _duck(
        warehouse,
        "SELECT region_code FROM marts.dim_branch WHERE branch_level_code = 'REGION' AND region_code <> "
        "(SELECT region_code FROM marts.dim_branch WHERE branch_code = ?) ORDER BY 1 LIMIT 1",
        [rm_branch],
    )[0][0]
    users = {
        name: (security.BRANCH_MANAGER, secrets.token_urlsafe(12))
        for name in (rm_id, "test_region_manager", "test_unmapped_manager")
    }
    clients = _login(server, users)
    managers = tmp_path / "branch_managers.csv"
    managers.write_text(f"username,branch_code\ntest_region_manager,{region}\n", encoding="utf-8")
    command = [str(REPO / ".venv" / "bin" / "crmwh"), "users", "sync", "--warehouse", str(warehouse),
               "--managers", str(managers)]  # fmt: skip
    env = {k: v for k, v in server.env.items() if k != "PYTHONPATH"}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output  # one manager could not be mapped
    assert "Traceback" not in output
    assert f"{rm_id} → {rm_branch}" in output and f"test_region_manager → {region}" in output
    assert "test_unmapped_manager" in output

    ids = _datasets(admin)
    for user, branch in ((rm_id, rm_branch), ("test_region_manager", region)):
        want = _subtree_totals(warehouse, branch)
        assert want, branch
        assert _branch_codes(clients[user], ids["contribution"]) == want, user
    assert _branch_codes(clients["test_unmapped_manager"], ids["contribution"]) == {}
    # Drill to detail: only rows of the subtree.
    detail = _samples(server, _browser(server, rm_id, users[rm_id][1]), ids["contribution"])
    assert detail
    assert all(rm_branch in (r["region_code"], r["level3_branch_code"], r["sub_branch_code"]) for r in detail)
    unmapped = _browser(server, "test_unmapped_manager", users["test_unmapped_manager"][1])
    assert _samples(server, unmapped, ids["contribution"]) == []
    # Running it again changes nothing.
    again = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 1 and again.stdout == done.stdout, again.stdout + again.stderr
    assert _branch_codes(clients[rm_id], ids["contribution"]) == _subtree_totals(warehouse, rm_branch)
    # The demo user keeps the demo branch through a sync.
    demo_branch = _duck(warehouse, "SELECT min(branch_code) FROM marts.dim_branch WHERE branch_level_code = 'BRANCH'")[
        0
    ][0]
    demo = harness.SupersetClient(server.base_url)
    demo.login(security.DEMO_USER, _demo_password(server))
    assert _branch_codes(demo, ids["contribution"]) == _subtree_totals(warehouse, demo_branch)


@pytest.fixture(scope="module")
def role_clients(server: harness.SupersetServer) -> dict[str, harness.SupersetClient]:
    """A logged-in API client for a user holding only 分析师 and one holding only 查看者."""
    users = {
        "test_analyst": (security.ANALYST, secrets.token_urlsafe(12)),
        "test_viewer": (security.VIEWER, secrets.token_urlsafe(12)),
    }
    harness.add_users(server, users)
    clients = {}
    for name, (role, password) in users.items():
        client = harness.SupersetClient(server.base_url)
        client.login(name, password)
        clients[role] = client
    return clients


def _by_branch(api: harness.SupersetClient, dataset: int) -> dict[str, Decimal]:
    query = {
        "columns": ["level3_branch_code"],
        "metrics": ["net_contribution"],
        "orderby": [["level3_branch_code", True]],
        "row_limit": 1000,
    }
    return {row[0]: Decimal(row[1]) for row in _csv(api.chart_data(dataset, query, result_format="csv"))}


def test_analyst_sees_every_branch_and_dataset(
    role_clients: dict[str, harness.SupersetClient], admin: harness.SupersetClient, warehouse: Path
) -> None:
    analyst = role_clients[security.ANALYST]
    ids = _datasets(admin)
    seen = _by_branch(analyst, ids["contribution"])
    want = {
        code: total
        for code, total in _duck(
            warehouse,
            "SELECT b.level3_branch_code, SUM(f.net_contribution) * 0.0001 FROM marts.fct_contribution_monthly f "
            "JOIN marts.dim_branch b USING (branch_code) GROUP BY 1",
        )
    }
    assert seen == want == _by_branch(admin, ids["contribution"])
    assert len(seen) > 1  # no row-level security: every 支行 with accounts
    # Every dataset, data quality included (it has no branch, and branch managers do not get it).
    assert set(_datasets(analyst)) == set(ids)
    rows = _csv(
        analyst.chart_data(ids["data_quality"], {"columns": ["stage"], "metrics": ["checks"], "row_limit": 10}, "csv")
    )
    assert rows
    boards = {b["slug"] for b in analyst.get("/api/v1/dashboard/", q="(page_size:100)")["result"]}
    assert boards == {d.slug for d in dashboards(load_cubes())}
    # No database access: SQL Lab cannot reach the warehouse file (and so not its restricted_pii schema). Superset
    # 6.1 hides a database the user may not access, so the refusal reads "database not found" (HTTP 500, not 403).
    answer = analyst.session.post(
        f"{analyst.base_url}/api/v1/sqllab/execute/",
        json={
            "database_id": admin.database()["id"],
            "sql": "SELECT count(*) AS n FROM marts.dim_branch",
            "schema": "main",
            "runAsync": False,
            "client_id": "analyst01",
        },
        timeout=analyst.timeout,
    )
    body = answer.json()
    assert answer.status_code in (403, 404, 500) and "data" not in body, answer.text[:500]
    assert "找不到此查询中引用的数据库" in body["errors"][0]["message"]  # the UI is Chinese by default


def test_viewer_reads_dashboards_but_cannot_query_edit_or_export(
    role_clients: dict[str, harness.SupersetClient], admin: harness.SupersetClient
) -> None:
    viewer = role_clients[security.VIEWER]
    boards = viewer.get("/api/v1/dashboard/", q="(page_size:100)")["result"]
    assert {b["slug"] for b in boards} == {d.slug for d in dashboards(load_cubes())}
    board = next(b for b in boards if b["slug"] == "management")
    charts = viewer.get(f"/api/v1/dashboard/{board['id']}/charts")["result"]
    assert charts
    chart = charts[0]
    answer = viewer.session.get(f"{viewer.base_url}/api/v1/chart/{chart['id']}/data/", timeout=viewer.timeout)
    assert answer.status_code == 200 and answer.json()["result"][0]["rowcount"] > 0

    def refused(method: str, path: str, payload: dict[str, Any] | None = None) -> None:
        response = viewer.session.request(method, f"{viewer.base_url}{path}", json=payload, timeout=viewer.timeout)
        assert response.status_code in (401, 403), f"{method} {path}: HTTP {response.status_code} {response.text[:300]}"

    database = admin.database()["id"]
    refused(
        "POST",
        "/api/v1/sqllab/execute/",
        {"database_id": database, "sql": "SELECT 1", "schema": "main", "runAsync": False, "client_id": "viewer01"},
    )
    refused("PUT", f"/api/v1/chart/{chart['id']}", {"slice_name": "viewer was here"})
    refused("DELETE", f"/api/v1/chart/{chart['id']}")
    refused("POST", "/api/v1/chart/", {"slice_name": "viewer chart", "viz_type": "table", "datasource_id": 1,
                                       "datasource_type": "table"})  # fmt: skip
    refused("PUT", f"/api/v1/dashboard/{board['id']}", {"dashboard_title": "viewer was here"})
    refused("GET", f"/api/v1/chart/{chart['id']}/data/?format=csv")
    # Nothing changed.
    assert admin.get(f"/api/v1/chart/{chart['id']}")["result"]["slice_name"] == chart["slice_name"]
    assert admin.get(f"/api/v1/dashboard/{board['id']}")["result"]["dashboard_title"] == board["dashboard_title"]


def test_chromium_renders_every_dashboard(server: harness.SupersetServer) -> None:
    if not Path("/usr/bin/chromium").exists() or not Path("/usr/bin/chromedriver").exists():
        pytest.skip("apt-get install -y chromium chromium-driver")
    slugs = [d.slug for d in dashboards(load_cubes())]
    out = ARTIFACTS / "superset-dashboards"
    args = [
        str(harness.superset_python()),
        str(Path(harness.__file__).with_name("browser.py")),
        "--url",
        server.base_url,
        "--user",
        server.admin_user,
        # one argument with "=": a generated password may start with "-", which argparse would read as an option
        f"--password={server.admin_password}",
        "--out",
        str(out),
    ]
    for slug in slugs:
        args += ["--slug", slug]
    done = subprocess.run(
        args,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO), "SE_OFFLINE": "true"},
    )
    assert done.stdout.strip(), done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    bad = {slug: r for slug, r in results.items() if not r["ok"]}
    assert not bad, json.dumps(bad, ensure_ascii=False, indent=1)
    for slug in slugs:
        assert results[slug]["holders"] > 0 and not results[slug]["login"]
        assert Path(results[slug]["screenshot"]).stat().st_size > 10_000


def test_datasets_carry_the_yml_semantics_and_no_pii(admin: harness.SupersetClient, cubes: dict[str, Cube]) -> None:
    ids = _datasets(admin)
    assert set(cubes) <= set(ids)
    contribution = admin.get(f"/api/v1/dataset/{ids['contribution']}")["result"]
    metrics = {m["metric_name"]: m for m in contribution["metrics"]}
    assert metrics["net_contribution"]["verbose_name"] == "净贡献（万元）"
    assert metrics["net_contribution_yi"]["verbose_name"] == "净贡献（亿元）"
    assert metrics["cost_to_income_ratio"]["d3format"] == ".2%"
    columns = {c["column_name"]: c for c in contribution["columns"]}
    assert columns["interest_income"]["verbose_name"] == "利息收入"
    assert "Step 1" in columns["interest_income"]["description"]
    # Bootstrap refreshed the types from the warehouse (DuckDB's cursor reports no type for DECIMAL: None).
    assert columns["month_start"]["is_dttm"] and columns["month_start"]["type"] in ("DATE", "DATETIME")
    assert columns["level3_branch_name"]["type"] == "STRING"
    for name in cubes:
        dataset = admin.get(f"/api/v1/dataset/{ids[name]}")["result"]
        for column in dataset["columns"]:
            assert not any(m in column["column_name"] for m in ("_masked", "account_id", "id_number", "phone")), (
                name,
                column["column_name"],
            )
