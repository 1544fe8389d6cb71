"""What Superset's connections and roles can reach: DuckDB connect arguments, the SQL allow list for every role but
the data engineer, login rate-limit settings (fast; the allow list runs in Superset's virtualenv, which has sqlglot).
The end-to-end proof through Superset's API is in tests/e2e/test_superset_serving.py."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from dashboards import settings

SUPERSET_PYTHON = settings.SUPERSET_VENV / "bin" / "python"
needs_superset = pytest.mark.skipif(not SUPERSET_PYTHON.exists(), reason="run scripts/superset_setup.sh first")


def test_duckdb_connections_are_read_only_external_access_off_first_and_locked_last() -> None:
    hostile = {
        "read_only": False,
        "preload_extensions": ["httpfs"],
        "config": {
            "lock_configuration": False,
            "enable_external_access": True,
            "allowed_directories": ["/"],
            "allowed_paths": ["/etc/passwd"],
            "custom_user_agent": "superset/6.1",
            "memory_limit": "1GB",
        },
    }
    args = settings.duckdb_connect_args(hostile)
    assert args == {
        "read_only": True,
        "config": {
            "enable_external_access": False,
            "python_enable_replacements": False,
            "custom_user_agent": "superset/6.1",
            "memory_limit": "1GB",
            "lock_configuration": True,
        },
    }
    assert next(iter(args["config"])) == "enable_external_access"  # type: ignore[call-overload]
    assert list(args["config"])[-1] == "lock_configuration"  # type: ignore[call-overload]
    assert settings.duckdb_connect_args(None) == settings.duckdb_connect_args({"config": "not a dict"})


def test_duckdb_honours_the_connect_arguments(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    duckdb.connect(str(path)).close()
    secret = tmp_path / "secret.json"
    secret.write_text('{"secret_key": "k"}', encoding="utf-8")
    args = settings.duckdb_connect_args()
    con = duckdb.connect(str(path), read_only=True, config=args["config"])  # type: ignore[arg-type]
    try:
        refused = {
            "COPY (SELECT 1) TO '" + str(tmp_path / "x.csv") + "'": "disabled by configuration",
            f"SELECT * FROM read_text('{secret}')": "disabled by configuration",
            "SELECT * FROM read_csv('/etc/passwd')": "disabled by configuration",
            f"SELECT * FROM glob('{tmp_path}/*')": "disabled by configuration",
            "SET enable_external_access = true": "configuration has been locked",
            "SET allowed_directories = ['/']": "configuration has been locked",
        }
        for sql, message in refused.items():
            with pytest.raises(duckdb.Error, match=message):
                con.execute(sql)
    finally:
        con.close()
    assert not (tmp_path / "x.csv").exists()


def test_login_rate_limit_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.ENV_LOGIN_RATE_LIMIT, raising=False)
    assert settings.login_rate_limit() == settings.DEFAULT_LOGIN_RATE_LIMIT == "10 per minute"
    for value in ("5/minute;50/day", "3 per 10 minutes", "100 per hour"):
        monkeypatch.setenv(settings.ENV_LOGIN_RATE_LIMIT, value)
        assert settings.login_rate_limit() == value
    monkeypatch.setenv(settings.ENV_LOGIN_RATE_LIMIT, "unlimited")
    with pytest.raises(settings.SettingsError, match=settings.ENV_LOGIN_RATE_LIMIT):
        settings.login_rate_limit()


def _bundle_sql() -> dict[str, str]:
    folder = settings.REPO_ROOT / "dashboards" / "assets" / "bundle" / "datasets"
    found = {}
    for path in sorted(folder.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("sql"):
            found[path.stem] = data["sql"]
    return found


ALLOWED = [
    "SELECT 1",
    "SELECT current_setting('access_mode') AS mode",
    "SELECT * FROM accounts",
    "FROM marts.dim_branch",
    "SELECT * FROM crmwh.marts.dim_branch",
    'SELECT * FROM "MARTS"."DIM_BRANCH"',
    "SELECT * FROM staging.stg_core__accounts s JOIN intermediate.int_x i USING (id)",
    "WITH raw AS (SELECT 1 AS x) SELECT * FROM raw",  # a CTE named like a schema is the CTE
    "SELECT * FROM range(10)",
    "SELECT * FROM generate_series(1, 3)",
    "SELECT * FROM unnest([1, 2])",
    "SELECT 1 UNION ALL SELECT 2",
    "SELECT stage, count(*) FROM quality.validation_results GROUP BY 1",
]
REFUSED = {
    "SELECT * FROM raw.core__customers": "schema 'raw' is reserved",
    "SELECT * FROM audit.rejected_rows": "schema 'audit' is reserved",
    "SELECT * FROM restricted_pii.pii_core__customers": "schema 'restricted_pii' is reserved",
    'SELECT * FROM "Restricted_PII".x': "reserved",
    "SELECT * FROM crmwh.restricted_pii.x": "reserved",
    "SELECT * FROM marts.a WHERE id IN (SELECT id FROM raw.b)": "schema 'raw'",
    "SELECT * FROM marts.a, LATERAL (SELECT * FROM audit.b) t": "schema 'audit'",
    "WITH c AS (SELECT * FROM raw.b) SELECT * FROM c": "schema 'raw'",
    "SELECT * FROM some_new_schema.t": "schema 'some_new_schema' is reserved",
    "SELECT * FROM query_table('raw.x')": "table functions such as query_table()",
    "SELECT * FROM query('SELECT * FROM raw.x')": "table functions such as query()",
    "SELECT * FROM read_csv('/etc/passwd')": "table functions",
    "SELECT * FROM read_text('.secrets/superset.json')": "table functions",
    "SELECT * FROM glob('/tmp/*')": "table functions",
    "SELECT * FROM duckdb_tables()": "table functions",
    "SELECT * FROM a.b.c.d": "not understood",
    "USE raw": "not USE",
    "SET search_path = 'raw'": "not SET",
    "SUMMARIZE raw.x": "not SUMMARIZE",
    "PIVOT raw.x ON y USING count(*)": "not PIVOT",
    "DESCRIBE marts.dim_branch": "not DESCRIBE",
    "SHOW TABLES": "not SHOW",
    "PRAGMA table_info('x')": "not PRAGMA",
    "COPY (SELECT 1) TO '/tmp/x.csv'": "not COPY",
    "ATTACH '/tmp/x.duckdb' AS x": "not ATTACH",
    "EXPLAIN SELECT 1": "only queries",
    "SELECT 1; USE raw": "not USE",
    "SELECT FROM WHERE (": "could not be checked",
    "CREATE TABLE t AS SELECT * FROM raw.x": "not CREATE",
}


def _guard(cases: list[tuple[str, bool]], schemas: list[str | None]) -> tuple[list[str | None], list[bool]]:
    code = (
        "import json, sys\n"
        "from dashboards import sql_guard\n"
        "cases, schemas = json.load(sys.stdin)\n"
        "print(json.dumps([[sql_guard.refusal(sql, later) for sql, later in cases],\n"
        "                  [sql_guard.schema_served(s) for s in schemas]]))\n"
    )
    done = subprocess.run(
        [str(SUPERSET_PYTHON), "-c", code],
        input=json.dumps([cases, schemas]),
        env={**os.environ, "PYTHONPATH": str(settings.REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    refusals, served = json.loads(done.stdout.strip().splitlines()[-1])
    return refusals, served


@needs_superset
def test_sql_allow_list_for_every_role_but_the_data_engineer() -> None:
    bundle = _bundle_sql()
    assert len(bundle) >= 10
    allowed = [*ALLOWED, *bundle.values()]
    refused = list(REFUSED)
    cases = [(sql, False) for sql in allowed + refused] + [("CREATE TABLE t AS SELECT * FROM raw.x", True)]
    schemas = [None, "main", "marts", "crmwh.marts", "CRMWH.Quality", "raw", "crmwh.raw", "crmwh.restricted_pii",
               "system.information_schema", "temp.main", "audit", "elsewhere"]  # fmt: skip
    refusals, served = _guard(cases, schemas)
    got_allowed = dict(zip(allowed, refusals[: len(allowed)], strict=True))
    assert {sql: reason for sql, reason in got_allowed.items() if reason} == {}  # every dashboard dataset included
    got_refused = dict(zip(refused, refusals[len(allowed) : -1], strict=True))
    assert {sql: reason for sql, reason in got_refused.items() if not reason or REFUSED[sql] not in reason} == {}
    # A mutation on a database without DML is left to Superset, which refuses it with its own DML error.
    assert refusals[-1] is None
    assert served == [True, True, True, True, True, False, False, False, True, True, False, False]


@needs_superset
def test_superset_config_enforces_the_connection_and_the_security_manager(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CRMWH_")},  # the defaults: embedded profile
        settings.ENV_SECRETS_DIR: str(tmp_path / "secrets"),
        settings.ENV_HOME: str(tmp_path / "home"),
        "PYTHONPATH": str(settings.REPO_ROOT),
    }
    subprocess.run(
        [str(SUPERSET_PYTHON), "-c", "from dashboards import settings; settings.ensure_secrets()"],
        env=env, check=True, timeout=60,
    )  # fmt: skip
    code = (
        "import json, runpy\n"
        "from sqlalchemy.engine.url import make_url\n"
        f"cfg = runpy.run_path({str(settings.CONFIG_FILE)!r})\n"
        "hostile = {'connect_args': {'read_only': False, 'config': {'enable_external_access': True,\n"
        "           'allowed_directories': ['/'], 'custom_user_agent': 'ua'}}, 'poolclass': None}\n"
        "url, params = cfg['DB_CONNECTION_MUTATOR'](make_url('duckdb:////x/wh.duckdb'), hostile, 'u', None, None)\n"
        "pg = make_url('postgresql://u@h/db')\n"
        "_, other = cfg['DB_CONNECTION_MUTATOR'](pg, {'connect_args': {}}, 'u', None, None)\n"
        "keys = ['RATELIMIT_ENABLED', 'AUTH_RATE_LIMITED', 'AUTH_RATE_LIMIT', 'RATELIMIT_STORAGE_URI',\n"
        "        'RATELIMIT_APPLICATION', 'PREVENT_UNSAFE_DB_CONNECTIONS', 'ALLOW_ADHOC_SUBQUERY']\n"
        "out = {k: cfg.get(k) for k in keys}\n"
        "out['manager'] = cfg['CUSTOM_SECURITY_MANAGER'].__module__ + '.' + cfg['CUSTOM_SECURITY_MANAGER'].__name__\n"
        "out['connect_args'] = params['connect_args']\n"
        "out['poolclass_kept'] = 'poolclass' in params\n"
        "out['other'] = other['connect_args']\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([str(SUPERSET_PYTHON), "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["connect_args"] == settings.duckdb_connect_args({"config": {"custom_user_agent": "ua"}})
    assert got["poolclass_kept"] and got["other"] == {}
    assert got["manager"] == "dashboards.security_manager.CrmwhSecurityManager"
    assert got["RATELIMIT_ENABLED"] is True and got["AUTH_RATE_LIMITED"] is True
    assert got["AUTH_RATE_LIMIT"] == settings.DEFAULT_LOGIN_RATE_LIMIT
    assert got["RATELIMIT_STORAGE_URI"] == "memory://" and got["RATELIMIT_APPLICATION"] is None  # embedded
    assert got["PREVENT_UNSAFE_DB_CONNECTIONS"] is True and got["ALLOW_ADHOC_SUBQUERY"] is False
