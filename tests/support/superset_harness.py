"""Start a throw-away Superset and talk to its REST API, for tests and benchmarks.

Runs in the warehouse ``.venv`` (needs ``requests``); Superset itself runs in ``.venv-superset`` through the same
entry point as ``make serve`` (``python -m dashboards.serve``), with its state, secrets and port isolated in a
working directory so a test never touches ``var/superset`` or ``.secrets``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from dashboards import settings

STARTUP_TIMEOUT_S = 300.0
READY_MARKER = "ready at http://127.0.0.1:"


SAMPLE_BRANCHES = ("北京分行", "上海分行", "深圳分行")
# One table in each schema Superset must keep from every role but the data engineer's.
RESTRICTED_TABLES = {"raw": "deliveries", "audit": "batches", "restricted_pii": "customers"}
RESTRICTED_MARKER = "王小明 110101199003071234"


class HarnessError(RuntimeError):
    """Superset did not start, or an API call failed; the message carries the server's answer or log tail."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def reachable(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def superset_python() -> Path:
    return Path(os.environ.get("CRMWH_SUPERSET_VENV") or settings.SUPERSET_VENV) / "bin" / "python"


@dataclass
class SupersetServer:
    """A Superset started by :func:`start_superset`; ``stop()`` sends SIGTERM like Ctrl-C/systemd would."""

    port: int
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    workdir: Path
    log_path: Path
    admin_user: str
    admin_password: str
    startup_s: float = 0.0
    exit_code: int | None = field(default=None)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "".join(text.splitlines(keepends=True)[-lines:])

    def stop(self, timeout: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                # Last resort only: the whole session, so no gunicorn worker outlives the test.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.exit_code = self.process.returncode
        return self.exit_code

    def client(self) -> SupersetClient:
        api = SupersetClient(self.base_url)
        api.login(self.admin_user, self.admin_password)
        return api


def start_superset(
    workdir: Path,
    warehouse: Path,
    *,
    profile: str = "embedded",
    extra_env: dict[str, str] | None = None,
    timeout: float = STARTUP_TIMEOUT_S,
) -> SupersetServer:
    """Start Superset on a free port over ``warehouse`` and return once it serves requests."""
    python = superset_python()
    if not python.exists():
        raise HarnessError(f"{python} is missing: run scripts/superset_setup.sh first")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    password = secrets.token_urlsafe(12)
    env = {
        **os.environ,
        settings.ENV_PROFILE: profile,
        settings.ENV_PORT: str(port),
        settings.ENV_ADMIN_PASSWORD: password,
        settings.ENV_HOME: str(workdir / "home"),
        settings.ENV_SECRETS_DIR: str(workdir / "secrets"),
        settings.ENV_WAREHOUSE: str(warehouse),
        "PYTHONPATH": str(settings.REPO_ROOT),
        **(extra_env or {}),
    }
    log_path = workdir / "serve.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(python), "-m", "dashboards.serve"],
            cwd=settings.REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = SupersetServer(port, process, env, workdir, log_path, settings.DEFAULT_ADMIN_USER, password)
    while time.monotonic() - started < timeout:
        if READY_MARKER in server.log_tail(200):
            server.startup_s = time.monotonic() - started
            return server
        if process.poll() is not None:
            raise HarnessError(f"Superset exited with {process.returncode} during startup:\n{server.log_tail()}")
        time.sleep(0.5)
    server.stop()
    raise HarnessError(f"Superset was not ready within {timeout:.0f} s:\n{server.log_tail()}")


@contextmanager
def serving(workdir: Path, warehouse: Path, log_copy: Path) -> Iterator[SupersetServer]:
    """:func:`start_superset` for a ``with`` block: stopped when the block ends, passed or failed; its serve log is
    then copied to ``log_copy``, so that it lands with the test artifacts."""
    server = start_superset(workdir, warehouse)
    try:
        yield server
    finally:
        server.stop()
        log_copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(server.log_path, log_copy)


# Runs in .venv-superset inside Superset's app: users read from stdin as {name: [role, password]}.
_ADD_USERS = """
import json, sys
from superset.app import create_app

users = json.load(sys.stdin)
with create_app().app_context():
    from superset.extensions import db, security_manager

    for name, (role_name, password) in users.items():
        role = security_manager.find_role(role_name)
        if role is None:
            raise SystemExit(f"Superset has no role {role_name!r}")
        user = security_manager.find_user(username=name)
        if user is None:
            if not security_manager.add_user(name, name, "test", f"{name}@crmwh.invalid", role, password=password):
                raise SystemExit(f"could not create the user {name!r}")
        else:
            user.roles = [role]
            user.active = True
            db.session.commit()
            security_manager.reset_password(user.id, password)
"""


def add_users(server: SupersetServer, users: dict[str, tuple[str, str]], timeout: float = 180.0) -> None:
    """Create (or reset) users of the running server: ``{username: (role, password)}``, one role each.

    Goes through Superset's own security manager on the server's metadata database (same environment as the server),
    not through the REST API, which has no user management unless FAB's security API is switched on.
    """
    env = {
        **server.env,
        "SUPERSET_CONFIG_PATH": str(settings.CONFIG_FILE),
        "FLASK_APP": "superset.app:create_app()",
        "PYTHONPATH": str(settings.REPO_ROOT),
    }
    done = subprocess.run(
        [str(superset_python()), "-c", _ADD_USERS],
        input=json.dumps({name: list(spec) for name, spec in users.items()}),
        cwd=settings.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise HarnessError(f"adding users {sorted(users)} failed ({done.returncode}):\n{done.stderr[-2000:]}")


def web_session(base_url: str, username: str, password: str, timeout: float = 60.0) -> requests.Session:
    """A browser-like session logged in through the login form (pages and ``@has_access`` views need it)."""
    browser = requests.Session()
    page = browser.get(f"{base_url}/login/", timeout=timeout)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    if page.status_code != 200 or not found:
        raise HarnessError(f"the login page has no CSRF token (HTTP {page.status_code})")
    answer = browser.post(
        f"{base_url}/login/",
        data={"username": username, "password": password, "csrf_token": found.group(1)},
        timeout=timeout,
        allow_redirects=False,
    )
    if answer.status_code not in (302, 303) or "/login" in answer.headers.get("Location", "/login"):
        raise HarnessError(f"form login as {username!r} failed: HTTP {answer.status_code}")
    return browser


class SupersetClient:
    """A logged-in REST API session: JWT bearer for auth, plus the session cookie and CSRF token for writes."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "Referer": base_url})
        # gunicorn closes a keep-alive connection idle for 2 s; a request sent on it just then meets a closed socket
        # (RemoteDisconnected). Reads are safe to send again on a new connection; writes are not retried.
        retry = Retry(total=2, connect=2, read=2, status=0, allowed_methods=frozenset({"GET", "HEAD"}),
                      backoff_factor=0.1, raise_on_status=False)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))

    def login(self, username: str, password: str) -> None:
        answer = self.session.post(
            f"{self.base_url}/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": True},
            timeout=self.timeout,
        )
        if answer.status_code != 200:
            raise HarnessError(f"login as {username!r} failed: HTTP {answer.status_code} {answer.text[:300]}")
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        token = self.get("/api/v1/security/csrf_token/")["result"]
        self.session.headers["X-CSRFToken"] = token

    def _check(self, answer: requests.Response, what: str) -> requests.Response:
        if answer.status_code >= 400:
            raise HarnessError(f"{what}: HTTP {answer.status_code} {answer.text[:800]}")
        return answer

    def get(self, path: str, **params: Any) -> Any:
        answer = self.session.get(f"{self.base_url}{path}", params=params or None, timeout=self.timeout)
        return self._check(answer, f"GET {path}").json(parse_float=Decimal)

    def list_all(self, path: str, rison_args: str = "") -> list[dict[str, Any]]:
        """Every row of a list endpoint (``/api/v1/chart/``), page by page: one page holds at most 100."""
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            args = ",".join(a for a in (rison_args, f"page:{page}", "page_size:100") if a)
            found = self.get(path, q=f"({args})")["result"]
            rows.extend(found)
            if len(found) < 100:
                return rows
            page += 1

    def _fresh_post(self, path: str, payload: dict[str, Any]) -> requests.Response:
        # A write cannot be sent again, so it never rides on a pooled connection that gunicorn may be closing: the
        # idle ones are dropped first (on a loaded machine two requests are easily 2 s apart).
        for adapter in self.session.adapters.values():
            adapter.close()
        return self.session.post(f"{self.base_url}{path}", json=payload, timeout=self.timeout)

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        return self._check(self._fresh_post(path, payload), f"POST {path}").json(parse_float=Decimal)

    def post_raw(self, path: str, payload: dict[str, Any]) -> requests.Response:
        return self._check(self._fresh_post(path, payload), f"POST {path}")

    def database(self, name: str = settings.WAREHOUSE_DATABASE_NAME) -> dict[str, Any]:
        rison = f"(filters:!((col:database_name,opr:eq,value:{name})))"
        found = self.get("/api/v1/database/", q=rison)["result"]
        if len(found) != 1:
            raise HarnessError(f"expected one Superset database named {name!r}, found {len(found)}")
        return self.get(f"/api/v1/database/{found[0]['id']}")["result"]

    def sql(self, database_id: int, sql: str, schema: str = "main") -> list[dict[str, Any]]:
        """Run a statement through SQL Lab; numbers come back as exact ``Decimal`` parsed from the JSON text."""
        result = self.post(
            "/api/v1/sqllab/execute/",
            {
                "database_id": database_id,
                "sql": sql,
                "schema": schema,
                "runAsync": False,
                "client_id": secrets.token_hex(5),
                "queryLimit": 100000,
            },
        )
        if result.get("status") != "success":
            raise HarnessError(f"SQL Lab query failed: {json.dumps(result, default=str)[:800]}")
        return list(result["data"])

    def create_dataset(self, database_id: int, table: str, schema: str = "main") -> int:
        return int(
            self.post("/api/v1/dataset/", {"database": database_id, "schema": schema, "table_name": table})["id"]
        )

    def chart_data(self, dataset_id: int, query: dict[str, Any], result_format: str = "json") -> Any:
        payload = {
            "datasource": {"id": dataset_id, "type": "table"},
            "force": True,
            "queries": [query],
            "result_format": result_format,
            "result_type": "full",
        }
        if result_format == "json":
            return self.post("/api/v1/chart/data", payload)["result"][0]
        return self.post_raw("/api/v1/chart/data", payload).text


def build_sample_warehouse(path: Path, generation: int) -> None:
    """A small warehouse for tests, published like the real one (built aside, then ``crmwh.publish.publish``).

    Each generation has different rows and amounts and records its number in ``build_info``; money is exact
    DECIMAL(18,2) with branch totals of 13 significant digits, as a large bank's reach. The schemas ``raw``,
    ``audit`` and ``restricted_pii`` hold one row each with :data:`RESTRICTED_MARKER` (see ``RESTRICTED_TABLES``).
    """
    tmp = path.with_name(f"{path.name}.building-{generation}")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("CREATE TABLE build_info AS SELECT ?::INTEGER AS generation", [generation])
        con.execute(
            """
            CREATE TABLE accounts AS
            SELECT i AS account_id,
                   ([?, ?, ?])[1 + (i % 3)] AS branch,
                   (DATE '2025-01-01' + (i % 200)::INTEGER) AS opened,
                   -- exact cents, up to 1e9 yuan an account (no division: DECIMAL / INTEGER gives DOUBLE)
                   (((i * 2654435761 + ?) % 100000000007)::DECIMAL(18, 2) * 0.01)::DECIMAL(18, 2) AS balance
            FROM range(1, 400 + 50 * ?) r(i)
            """,
            [*SAMPLE_BRANCHES, generation * 104729, generation],
        )
        con.execute(
            """
            CREATE TABLE transactions AS
            SELECT j AS txn_id,
                   1 + (j % (399 + 50 * ?)) AS account_id,
                   (DATE '2025-01-01' + (j % 365)::INTEGER) AS txn_date,
                   ((((j * 2654435761 + ?) % 200000001) - 100000000)::DECIMAL(18, 2) * 0.01)::DECIMAL(18, 2) AS amount
            FROM range(1, 5000) r(j)
            """,
            [generation, generation * 7],
        )
        # The schemas only the data-engineer role may reach from Superset, each with one row carrying a marker that
        # must never appear in another role's answer.
        for schema, table in RESTRICTED_TABLES.items():
            con.execute(f"CREATE SCHEMA {schema}")
            con.execute(f"CREATE TABLE {schema}.{table} AS SELECT 1 AS id, ? AS secret", [RESTRICTED_MARKER])
    finally:
        con.close()
    from crmwh import publish  # the warehouse side of the repository; only tests build sample warehouses

    # The build publishes a new version and swings the served link to it, never writing into the served file.
    publish.publish(tmp, path)


def duckdb_rows(path: Path, sql: str) -> list[dict[str, Any]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def from_api(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """API rows (JSON numbers parsed as Decimal) with integers made Decimal too, to compare with :func:`from_duckdb`."""
    out = []
    for row in rows:
        out.append({k: (Decimal(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in row.items()})
    return out


def from_duckdb(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DuckDB rows in the form :func:`from_api` gives: integers as Decimal, dates as ISO text, Decimal as is."""
    out = []
    for row in rows:
        fixed = {}
        for key, value in row.items():
            if isinstance(value, int) and not isinstance(value, bool):
                fixed[key] = Decimal(value)
            elif hasattr(value, "isoformat"):
                fixed[key] = value.isoformat()
            else:
                fixed[key] = value
        out.append(fixed)
    return out
