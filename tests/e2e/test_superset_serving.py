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
import secrets
import shutil
import signal
import stat
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


# --- Security: what SQL Lab can reach, who may reach raw/audit/restricted_pii, file modes, login rate limiting ---


def _refused(api: harness.SupersetClient, database_id: int, sql: str) -> str:
    """Run ``sql`` through SQL Lab expecting a refusal; returns the error text (it must leak nothing either)."""
    with pytest.raises(harness.HarnessError) as caught:
        rows = api.sql(database_id, sql)
        print(f"not refused: {sql!r} -> {rows!r}"[:500])
    return str(caught.value)


def test_sql_lab_connection_has_external_access_off_and_locked(
    api: harness.SupersetClient, database: dict[str, Any]
) -> None:
    got = api.sql(
        database["id"],
        "SELECT current_setting('enable_external_access') AS external_access, "
        "current_setting('lock_configuration') AS locked",
    )
    assert got == [{"external_access": False, "locked": True}]


def test_sql_lab_cannot_read_or_write_server_files(
    api: harness.SupersetClient, database: dict[str, Any], server: harness.SupersetServer
) -> None:
    """As admin (every Superset permission): COPY TO, read_text, read_csv, glob and re-enabling external access all
    fail, and no file appears."""
    secrets_file = server.workdir / "secrets" / settings.SECRETS_FILE_NAME
    secret_key = json.loads(secrets_file.read_text(encoding="utf-8"))["secret_key"]
    target = server.workdir / "copied.csv"
    attempts = {
        "copy_to": f"COPY (SELECT 1 AS x) TO '{target}' (HEADER)",
        "read_text_secrets": f"SELECT content FROM read_text('{secrets_file}')",
        "read_text_relative": f"SELECT content FROM read_text('{os.path.relpath(secrets_file, settings.REPO_ROOT)}')",
        "read_csv_passwd": "SELECT * FROM read_csv('/etc/passwd')",
        "glob": f"SELECT * FROM glob('{server.workdir}/*')",
        "enable_external_access": "SET enable_external_access = true",
        "enable_then_read": f"SET enable_external_access = true; SELECT content FROM read_text('{secrets_file}')",
        "attach": f"ATTACH '{server.workdir / 'other.duckdb'}' AS other",
    }
    leaked = {}
    for name, sql in attempts.items():
        try:
            rows = api.sql(database["id"], sql)
        except harness.HarnessError as exc:
            assert secret_key not in str(exc), name
            continue
        leaked[name] = rows
    assert leaked == {}
    assert not target.exists()
    assert not (server.workdir / "other.duckdb").exists()


def _schemas(api: harness.SupersetClient, database_id: int) -> set[str]:
    """The schemas SQL Lab lists (DuckDB's come as ``catalog.schema``), by schema name."""
    return {name.rsplit(".", 1)[-1] for name in api.get(f"/api/v1/database/{database_id}/schemas/")["result"]}


def _tables(api: harness.SupersetClient, database_id: int, schema: str) -> list[str]:
    """The tables SQL Lab lists in a schema, asked for by the name SQL Lab itself uses (``catalog.schema``)."""
    listed = api.get(f"/api/v1/database/{database_id}/schemas/")["result"]
    catalog = api.sql(database_id, "SELECT current_database() AS name")[0]["name"]
    name = next((n for n in listed if n.rsplit(".", 1)[-1] == schema), f"{catalog}.{schema}")
    found = api.get(f"/api/v1/database/{database_id}/tables/", q=f"(schema_name:'{name}')")["result"]
    return sorted(row["value"] for row in found)


RESTRICTED_QUERIES = {
    "raw": "SELECT * FROM raw.deliveries",
    "audit": "SELECT * FROM audit.batches",
    "restricted_pii": "SELECT * FROM restricted_pii.customers",
    "quoted_upper": 'SELECT * FROM "RESTRICTED_PII"."CUSTOMERS"',
    "from_first": "FROM restricted_pii.customers",
    "cte": "WITH c AS (SELECT * FROM restricted_pii.customers) SELECT * FROM c",
    "scalar_subquery": "SELECT (SELECT max(secret) FROM restricted_pii.customers) AS secret",
    "join": "SELECT a.account_id, c.secret FROM accounts a, restricted_pii.customers c LIMIT 1",
    "query_table": "SELECT * FROM query_table('restricted_pii.customers')",
    "query": "SELECT * FROM query('SELECT * FROM restricted_pii.customers')",
    "use_schema": "USE restricted_pii; SELECT * FROM customers",
    "search_path": "SET search_path = 'restricted_pii'; SELECT * FROM customers",
    "summarize": "SUMMARIZE restricted_pii.customers",
    "pivot": "PIVOT restricted_pii.customers ON secret USING count(*)",
}


@pytest.mark.parametrize("name", sorted(RESTRICTED_QUERIES))
def test_admin_cannot_reach_raw_audit_or_pii(api: harness.SupersetClient, database: dict[str, Any], name: str) -> None:
    error = _refused(api, database["id"], RESTRICTED_QUERIES[name])
    assert harness.RESTRICTED_MARKER not in error


def test_admin_cannot_reach_pii_through_the_catalog_name(api: harness.SupersetClient, database: dict[str, Any]) -> None:
    catalog = api.sql(database["id"], "SELECT current_database() AS name")[0]["name"]
    error = _refused(api, database["id"], f'SELECT * FROM "{catalog}".restricted_pii.customers')
    assert harness.RESTRICTED_MARKER not in error


def test_admin_neither_lists_nor_charts_restricted_schemas(
    api: harness.SupersetClient, database: dict[str, Any]
) -> None:
    assert "main" in _schemas(api, database["id"])
    assert not _schemas(api, database["id"]) & set(harness.RESTRICTED_TABLES)
    assert _tables(api, database["id"], "restricted_pii") == []
    # A dataset over a restricted table answers no chart data and no samples (drill to detail).
    dataset_id = api.create_dataset(database["id"], "customers", schema="restricted_pii")
    with pytest.raises(harness.HarnessError) as caught:
        api.chart_data(dataset_id, {"columns": ["secret"], "metrics": [], "row_limit": 10})
    assert harness.RESTRICTED_MARKER not in str(caught.value)
    samples = api.session.post(
        f"{api.base_url}/datasource/samples",
        params={"datasource_id": dataset_id, "datasource_type": "table", "force": "true"},
        json={},
        timeout=api.timeout,
    )
    assert samples.status_code >= 400 and harness.RESTRICTED_MARKER not in samples.text, samples.text[:300]


@pytest.fixture(scope="module")
def engineer(server: harness.SupersetServer) -> harness.SupersetClient:
    from dashboards import security

    password = secrets.token_urlsafe(12)
    harness.add_users(server, {"test_engineer": (security.DATA_ENGINEER, password)})
    client = harness.SupersetClient(server.base_url)
    client.login("test_engineer", password)
    return client


def test_data_engineer_reaches_restricted_schemas_but_no_files(
    engineer: harness.SupersetClient, database: dict[str, Any], server: harness.SupersetServer
) -> None:
    for schema, table in harness.RESTRICTED_TABLES.items():
        assert engineer.sql(database["id"], f"SELECT secret FROM {schema}.{table}") == [
            {"secret": harness.RESTRICTED_MARKER}
        ]
    assert set(harness.RESTRICTED_TABLES) <= _schemas(engineer, database["id"])
    assert _tables(engineer, database["id"], "restricted_pii") == ["customers"]
    secrets_file = server.workdir / "secrets" / settings.SECRETS_FILE_NAME
    _refused(engineer, database["id"], f"SELECT content FROM read_text('{secrets_file}')")
    _refused(engineer, database["id"], "SET enable_external_access = true")


def test_state_files_are_private(server: harness.SupersetServer, warehouse: Path) -> None:
    """Superset's metadata database, logs and secrets are 0600; published warehouse versions are 0640."""
    home = server.workdir / "home"
    private = [home / "superset.db", home / "bootstrap.log", home / "access.log",
               server.workdir / "secrets" / settings.SECRETS_FILE_NAME]  # fmt: skip
    modes = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in private if p.exists()}
    assert modes == {str(p): oct(0o600) for p in private}
    assert stat.S_IMODE((server.workdir / "secrets").stat().st_mode) == 0o700
    version = Path(os.path.realpath(warehouse))
    assert version != warehouse
    assert oct(stat.S_IMODE(version.stat().st_mode)) == oct(0o640)


def test_login_is_rate_limited(server: harness.SupersetServer) -> None:
    """After many wrong passwords from one address, even the right one is refused for a while (HTTP 429), on the
    REST API and the login form alike. Runs last in this module: it locks 127.0.0.1 out of logging in."""
    session = requests.Session()
    api_login = f"{server.base_url}/api/v1/security/login"

    def api_attempt(password: str) -> int:
        body = {"username": server.admin_user, "password": password, "provider": "db", "refresh": False}
        return session.post(api_login, json=body, timeout=60).status_code

    wrong = [api_attempt(f"wrong-{n}") for n in range(45)]
    assert wrong[0] == 401 and 429 in wrong, wrong
    assert set(wrong) == {401, 429}
    assert api_attempt(server.admin_password) == 429

    def form_attempt(password: str) -> int:
        page = session.get(f"{server.base_url}/login/", timeout=60)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        token = found.group(1) if found else ""
        answer = session.post(
            f"{server.base_url}/login/",
            data={"username": server.admin_user, "password": password, "csrf_token": token},
            timeout=60,
            allow_redirects=False,
        )
        return answer.status_code

    form = [form_attempt(f"wrong-{n}") for n in range(45)]
    assert 429 in form, form
    assert form_attempt(server.admin_password) == 429
