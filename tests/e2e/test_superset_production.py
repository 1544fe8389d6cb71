"""Superset's production profile, once: PostgreSQL metadata, Redis caches, Celery worker and beat, gunicorn.

Skips cleanly when PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) is not reachable. Uses a throw-away
PostgreSQL database and Redis database 14, both cleaned up afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from dashboards import settings

from support import superset_harness as harness

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 14

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not harness.superset_python().exists(), reason="run scripts/superset_setup.sh first"),
    pytest.mark.skipif(not harness.reachable(PG_HOST, PG_PORT), reason="PostgreSQL is not reachable on :5432"),
    pytest.mark.skipif(not harness.reachable(REDIS_HOST, REDIS_PORT), reason="Redis is not reachable on :6379"),
]


def in_superset_venv(code: str, env: dict[str, str] | None = None) -> str:
    """Run Python in .venv-superset (it has psycopg2 and redis; the warehouse venv need not)."""
    done = subprocess.run(
        [str(harness.superset_python()), "-c", code],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def drop_database(name: str) -> None:
    in_superset_venv(
        "import psycopg2; c = psycopg2.connect(host='127.0.0.1', user='postgres', dbname='postgres'); "
        f"c.autocommit = True; c.cursor().execute('DROP DATABASE IF EXISTS {name} WITH (FORCE)')"
    )


def flush_redis_test_db() -> None:
    in_superset_venv(f"import redis; redis.Redis(host='{REDIS_HOST}', port={REDIS_PORT}, db={REDIS_DB}).flushdb()")


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[harness.SupersetServer, str, Path]]:
    warehouse = tmp_path_factory.mktemp("warehouse") / "crmwh.duckdb"
    harness.build_sample_warehouse(warehouse, 1)
    db_name = f"crmwh_superset_test_{secrets.token_hex(4)}"
    flush_redis_test_db()
    server = harness.start_superset(
        tmp_path_factory.mktemp("superset-production"),
        warehouse,
        profile="production",
        extra_env={
            settings.ENV_METADATA_URI: f"postgresql+psycopg2://postgres@{PG_HOST}:{PG_PORT}/{db_name}",
            settings.ENV_REDIS_URL: f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        },
    )
    print(f"\nSuperset (production) started in {server.startup_s:.1f} s on port {server.port}")
    try:
        yield server, db_name, warehouse
    finally:
        server.stop()
        artifacts = Path(os.environ.get("CRMWH_TEST_ARTIFACTS", settings.REPO_ROOT / "test-artifacts"))
        artifacts.mkdir(parents=True, exist_ok=True)
        shutil.copy(server.log_path, artifacts / "superset-production-serve.log")
        drop_database(db_name)
        flush_redis_test_db()


def test_production_profile(production: tuple[harness.SupersetServer, str, Path]) -> None:
    server, db_name, warehouse = production
    api = server.client()
    database = api.database()

    # Queries through the production stack answer exactly what DuckDB answers.
    sql = "SELECT branch, SUM(balance) AS balance, COUNT(*) AS n FROM accounts GROUP BY 1 ORDER BY 1"
    assert harness.from_api(api.sql(database["id"], sql)) == harness.from_duckdb(harness.duckdb_rows(warehouse, sql))

    # Metadata lives in PostgreSQL: the warehouse's registration is a row there, under its fixed UUID.
    rows = in_superset_venv(
        "import json, psycopg2; "
        f"c = psycopg2.connect(host='{PG_HOST}', user='postgres', dbname='{db_name}'); cur = c.cursor(); "
        "cur.execute('SELECT database_name, uuid::text, extra FROM dbs'); print(json.dumps(cur.fetchall()))"
    )
    registered = json.loads(rows)
    assert [(name, uuid) for name, uuid, _ in registered] == [
        (settings.WAREHOUSE_DATABASE_NAME, str(settings.WAREHOUSE_DATABASE_UUID))
    ]
    assert json.loads(registered[0][2])["engine_params"]["connect_args"]["read_only"] is True

    # Explore state goes to Redis, under the profile's key prefix.
    dataset_id = api.create_dataset(database["id"], "accounts")
    key = api.post(
        "/api/v1/explore/form_data",
        {"datasource_id": dataset_id, "datasource_type": "table", "form_data": json.dumps({"viz_type": "table"})},
    )["key"]
    keys = json.loads(
        in_superset_venv(
            "import json, redis; r = redis.Redis(host='127.0.0.1', port=6379, db=14); "
            "print(json.dumps(sorted(k.decode() for k in r.keys('crmwh_explore_*'))))"
        )
    )
    assert any(key in k for k in keys), keys

    # The Celery worker (Alerts & Reports) answers through the Redis broker.
    ping = subprocess.run(
        [
            str(harness.superset_python().parent / "celery"),
            "--app=superset.tasks.celery_app:app",
            "inspect",
            "ping",
            "--timeout=20",
        ],
        env={**server.env, "SUPERSET_CONFIG_PATH": str(settings.CONFIG_FILE), "SUPERSET_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert ping.returncode == 0 and "pong" in ping.stdout, ping.stdout[-1500:] + ping.stderr[-1500:]

    # SIGTERM stops gunicorn, the worker and beat: nothing of the session is left.
    session = server.process.pid
    members = [p for p in psutil.process_iter(["pid"]) if _sid(p.pid) == session]
    assert len(members) >= 4  # serve, gunicorn master + worker(s), celery worker, beat
    assert server.stop() == 0, server.log_tail()
    assert not [p.pid for p in members if psutil.pid_exists(p.pid) and _sid(p.pid) == session]
    assert not harness.reachable("127.0.0.1", server.port)


def _sid(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None
