"""Superset serving, end to end (embedded profile): started through the same entry point as `make serve`, over a small
DuckDB warehouse built here, driven through the REST API only.

Every expected value is computed by DuckDB itself from the file being served at that moment, and money is compared
as exact `Decimal`.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from dashboards import settings

from support import superset_harness as harness

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not harness.superset_python().exists(), reason="run scripts/superset_setup.sh first"),
]

BALANCE_BY_BRANCH = "SELECT branch, SUM(balance) AS balance FROM accounts GROUP BY branch ORDER BY branch"
MONTHLY_FLOWS = """
    SELECT a.branch, date_trunc('month', t.txn_date)::DATE AS month, SUM(t.amount) AS amount, COUNT(*) AS n
    FROM transactions t JOIN accounts a USING (account_id)
    GROUP BY ALL ORDER BY a.branch, month
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("warehouse") / "crmwh.duckdb"
    harness.build_sample_warehouse(path, 1)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, warehouse: Path) -> Iterator[harness.SupersetServer]:
    workdir = tmp_path_factory.mktemp("superset")
    started = harness.start_superset(workdir, warehouse)
    print(f"\nSuperset (embedded) started in {started.startup_s:.1f} s on port {started.port}")
    try:
        yield started
    finally:
        code = started.stop()
        artifacts = Path(os.environ.get("CRMWH_TEST_ARTIFACTS", settings.REPO_ROOT / "test-artifacts"))
        artifacts.mkdir(parents=True, exist_ok=True)
        shutil.copy(started.log_path, artifacts / "superset-embedded-serve.log")
        assert code == 0, f"serve exited with {code} on SIGTERM:\n{started.log_tail()}"


@pytest.fixture(scope="module")
def api(server: harness.SupersetServer) -> harness.SupersetClient:
    return server.client()


@pytest.fixture(scope="module")
def database(api: harness.SupersetClient) -> dict[str, Any]:
    return api.get(f"/api/v1/database/{api.database()['id']}/connection")["result"]


def test_warehouse_registered_read_only(api: harness.SupersetClient, database: dict[str, Any], warehouse: Path) -> None:
    extra = json.loads(database["extra"])
    assert extra["engine_params"]["connect_args"]["read_only"] is True
    assert database["sqlalchemy_uri"] == f"duckdb:///{warehouse}"
    assert database["uuid"] == str(settings.WAREHOUSE_DATABASE_UUID)
    assert database["allow_dml"] is False
    assert database["expose_in_sqllab"] is True
    # The connection DuckDB actually opened is read-only, not just the flag in Superset's metadata.
    assert api.sql(database["id"], "SELECT current_setting('access_mode') AS mode") == [{"mode": "read_only"}]
    with pytest.raises(harness.HarnessError, match="DML_NOT_ALLOWED_ERROR"):
        api.sql(database["id"], "CREATE TABLE hijack AS SELECT 1 AS x")


@pytest.mark.parametrize("sql", [BALANCE_BY_BRANCH, MONTHLY_FLOWS], ids=["balance_by_branch", "monthly_flows"])
def test_sql_lab_matches_duckdb(
    api: harness.SupersetClient, database: dict[str, Any], warehouse: Path, sql: str
) -> None:
    got = harness.from_api(api.sql(database["id"], sql))
    want = harness.from_duckdb(harness.duckdb_rows(warehouse, sql))
    assert len(want) > 1
    assert got == want
    money = [row[k] for row in want for k in ("balance", "amount") if k in row]
    assert money and all(isinstance(v, Decimal) for v in money)


def test_chart_data_matches_duckdb(api: harness.SupersetClient, database: dict[str, Any], warehouse: Path) -> None:
    dataset_id = api.create_dataset(database["id"], "accounts")
    query = {
        "columns": ["branch"],
        "metrics": [
            {"expressionType": "SQL", "sqlExpression": "SUM(balance)", "label": "balance"},
            {"expressionType": "SQL", "sqlExpression": "COUNT(*)", "label": "accounts"},
        ],
        "orderby": [["branch", True]],
        "row_limit": 1000,
    }
    want = harness.from_duckdb(
        harness.duckdb_rows(
            warehouse,
            "SELECT branch, SUM(balance) AS balance, COUNT(*) AS accounts FROM accounts GROUP BY 1 ORDER BY 1",
        )
    )
    result = api.chart_data(dataset_id, query)
    assert result["colnames"] == ["branch", "balance", "accounts"]
    assert harness.from_api(result["data"]) == want
    # CSV carries the DECIMAL's own text: exact whatever the number of digits.
    csv_lines = api.chart_data(dataset_id, query, result_format="csv").strip().splitlines()
    assert csv_lines[0] == "branch,balance,accounts"
    assert [line.split(",") for line in csv_lines[1:]] == [
        [row["branch"], str(row["balance"]), str(row["accounts"])] for row in want
    ]


def _bootstrap_locale(session: requests.Session, base_url: str) -> tuple[str, dict[str, Any]]:
    page = session.get(f"{base_url}/login/", timeout=60)
    assert page.status_code == 200
    found = re.search(r'data-bootstrap="([^"]*)"', page.text)
    assert found, "the login page carries no bootstrap data"
    common = json.loads(html.unescape(found.group(1)))["common"]
    return common["locale"], common["menu_data"]["navbar_right"]["languages"]


def test_chinese_by_default_english_selectable(server: harness.SupersetServer) -> None:
    anonymous = requests.Session()
    assert _bootstrap_locale(anonymous, server.base_url)[0] == "zh"
    browser = harness.web_session(server.base_url, server.admin_user, server.admin_password)
    locale, languages = _bootstrap_locale(browser, server.base_url)
    assert locale == "zh"
    assert set(languages) == {"zh", "en"}
    pack = browser.get(f"{server.base_url}/superset/language_pack/zh/", timeout=60).json()
    messages = pack["locale_data"]["superset"]
    assert len(messages) > 1000
    assert messages["Dashboards"] != ["Dashboards"]  # translated, not echoed
    assert browser.get(f"{server.base_url}{languages['en']['url']}", timeout=60).status_code in (200, 302)
    assert _bootstrap_locale(browser, server.base_url)[0] == "en"


def test_queries_survive_atomic_replace(api: harness.SupersetClient, database: dict[str, Any], warehouse: Path) -> None:
    generation_sql = "SELECT generation FROM build_info"
    before = api.sql(database["id"], generation_sql)[0]["generation"]

    # Chart-style queries run continuously while the file is replaced several times: none may fail, and each
    # answer must be one whole generation (balance totals of exactly one published file).
    sums_sql = "SELECT (SELECT generation FROM build_info) AS generation, SUM(balance) AS balance FROM accounts"
    truth: dict[Decimal, Decimal] = {}
    errors: list[str] = []
    answers: list[dict[str, Any]] = []
    stop = threading.Event()

    def hammer() -> None:
        client = harness.SupersetClient(api.base_url)
        client.session.headers.update(api.session.headers)
        client.session.cookies.update(api.session.cookies)
        deadline = time.monotonic() + 120
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                answers.append(harness.from_api(client.sql(database["id"], sums_sql))[0])
            except harness.HarnessError as exc:
                errors.append(str(exc))

    truth[Decimal(before)] = harness.from_duckdb(harness.duckdb_rows(warehouse, sums_sql))[0]["balance"]
    thread = threading.Thread(target=hammer, daemon=True)
    thread.start()

    def answers_after(mark: int, count: int = 3, timeout: float = 60.0) -> None:
        """Wait (bounded) until the hammer has answered `count` more queries, whatever the machine's load."""
        deadline = time.monotonic() + timeout
        while len(answers) < mark + count and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.05)

    try:
        answers_after(0)
        for generation in range(int(before) + 1, int(before) + 4):
            harness.build_sample_warehouse(warehouse, generation)
            truth[Decimal(generation)] = harness.from_duckdb(harness.duckdb_rows(warehouse, sums_sql))[0]["balance"]
            answers_after(len(answers))
    finally:
        stop.set()
        thread.join(timeout=150)

    assert errors == []
    for answer in answers:
        assert answer["balance"] == truth[answer["generation"]]
    # Every published generation was seen, the first before any swap and each later one after its swap.
    assert {a["generation"] for a in answers} == set(truth)
    assert len(truth) == 4

    # After the last swap, every query shows the newest file.
    latest = max(truth)
    assert harness.from_api(api.sql(database["id"], generation_sql)) == [{"generation": latest}]
    assert harness.from_api(api.sql(database["id"], BALANCE_BY_BRANCH)) == harness.from_duckdb(
        harness.duckdb_rows(warehouse, BALANCE_BY_BRANCH)
    )


def test_restart_is_idempotent_and_ctrl_c_stops_everything(server: harness.SupersetServer, warehouse: Path) -> None:
    """A second start over the same state bootstraps again without error; Ctrl-C (SIGINT to the terminal's process
    group) leaves no process and frees the port."""
    again = harness.start_superset(server.workdir, warehouse, extra_env={settings.ENV_ADMIN_PASSWORD: "changed-pw-1"})
    print(f"\nrestart over existing metadata: ready in {again.startup_s:.1f} s")
    session_pids: set[int] = set()
    try:
        api = harness.SupersetClient(again.base_url)
        api.login(again.admin_user, "changed-pw-1")  # the password follows the environment on every start
        assert api.database()["uuid"] == str(settings.WAREHOUSE_DATABASE_UUID)
        session_pids = {p.pid for p in psutil.process_iter(["pid"]) if _session_of(p.pid) == again.process.pid}
        assert len(session_pids) >= 3  # serve, gunicorn master, worker
    finally:
        os.killpg(again.process.pid, signal.SIGINT)
        code = again.process.wait(timeout=60)
    assert code == 0, again.log_tail()
    assert "stopping Superset" in again.log_tail()
    assert not [pid for pid in session_pids if psutil.pid_exists(pid) and _session_of(pid) == again.process.pid]
    assert not harness.reachable("127.0.0.1", again.port)


def _session_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None
