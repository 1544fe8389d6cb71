"""Superset's production profile with Alerts & Reports, for the report tests and the report benchmark.

Starts Superset as `make serve-production` does (gunicorn, Celery worker and beat) with PostgreSQL metadata in a
throw-away database and a Redis database of its own, mail to an aiosmtpd sink (dashboards/mailsink.py), and the
report files of dashboards/reports/ copied to a folder where the monthly pack's calendar condition is made true (the
condition itself is checked in tests/unit/test_schedules.py), so that triggering the pack sends it today.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dashboards import mailsink, schedules, settings

from . import superset_harness as harness

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
MANAGEMENT = "board@bank.test"
DATA_ENGINEERING = "dataops@bank.test"
PACK, WEEKLY, DQ_ALERT = "经营分析月报", "支行周报", "数据质量严重检查未通过"
LOG_TIMEOUT_S = 600.0  # three tries of a PDF on a loaded machine

_TRIGGER = """
import datetime, celery
due = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
celery.Celery(broker={broker!r}).send_task("reports.execute", args=[{report_id}], eta=due)
"""


def services_reachable() -> bool:
    return harness.reachable(PG_HOST, PG_PORT) and harness.reachable(REDIS_HOST, REDIS_PORT)


def in_superset_venv(code: str) -> str:
    done = subprocess.run(
        [str(harness.superset_python()), "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise harness.HarnessError(done.stderr[-2000:])
    return done.stdout


def reports_dir(folder: Path, pack_grace_hours: float | None = None) -> Path:
    """The real report files; the monthly pack's condition true today (and its grace period changed if asked)."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in settings.reports_dir().glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    pack = folder / "monthly_pack.yaml"
    text = pack.read_text(encoding="utf-8")
    start = text.index("  sql: >-")
    end = text.index("  operator:", start)
    text = text[:start] + '  sql: "SELECT 1 AS is_third_business_day"\n' + text[end:]
    if pack_grace_hours is not None:
        text = text.replace("grace_hours: 480", f"grace_hours: {pack_grace_hours}")
    pack.write_text(text, encoding="utf-8")
    if schedules.parse(pack).condition is None:
        raise harness.HarnessError("the monthly pack lost its condition")
    return folder


@contextmanager
def production(
    workdir: Path, warehouse: Path, sink: mailsink.MailSink, reports: Path, redis_db: int, log_copy: Path
) -> Iterator[harness.SupersetServer]:
    """The production profile over ``warehouse`` mailing to ``sink``; its database and Redis db dropped afterwards."""
    db_name = f"crmwh_superset_reports_{secrets.token_hex(4)}"
    flush = f"import redis; redis.Redis(host='{REDIS_HOST}', port={REDIS_PORT}, db={redis_db}).flushdb()"
    in_superset_venv(flush)
    server = harness.start_superset(
        workdir,
        warehouse,
        profile="production",
        extra_env={
            settings.ENV_METADATA_URI: f"postgresql+psycopg2://postgres@{PG_HOST}:{PG_PORT}/{db_name}",
            settings.ENV_REDIS_URL: f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}",
            settings.ENV_SMTP_HOST: sink.host,
            settings.ENV_SMTP_PORT: str(sink.port),
            settings.ENV_REPORTS_DIR: str(reports),
            settings.ENV_DATA_ENGINEERING_EMAIL: DATA_ENGINEERING,
            schedules.ENV_MANAGEMENT_EMAIL: MANAGEMENT,
        },
    )
    try:
        yield server
    finally:
        server.stop()
        log_copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(server.log_path, log_copy)
        in_superset_venv(
            "import psycopg2; c = psycopg2.connect(host='127.0.0.1', user='postgres', dbname='postgres'); "
            f"c.autocommit = True; c.cursor().execute('DROP DATABASE IF EXISTS {db_name} WITH (FORCE)')"
        )
        in_superset_venv(flush)


def schedule_ids(api: harness.SupersetClient) -> dict[str, int]:
    found = api.get("/api/v1/report/", q="(page_size:100)")["result"]
    return {row["name"]: int(row["id"]) for row in found}


def trigger(server: harness.SupersetServer, report_id: int) -> None:
    """What beat does when a schedule is due: a reports.execute task for the worker through the Redis broker, with
    the time it is due for (Superset logs each execution under it)."""
    broker = server.env[settings.ENV_REDIS_URL]
    in_superset_venv(_TRIGGER.format(broker=broker, report_id=report_id))


def finished_logs(api: harness.SupersetClient, report_id: int) -> list[dict[str, Any]]:
    logs = api.get(f"/api/v1/report/{report_id}/log/", q="(order_column:start_dttm,order_direction:asc)")["result"]
    return [entry for entry in logs if entry["state"] != "Working"]


def run_and_wait(
    server: harness.SupersetServer, api: harness.SupersetClient, name: str, timeout: float = LOG_TIMEOUT_S
) -> dict[str, Any]:
    """Trigger the schedule and return its execution log entry once the run has finished."""
    report_id = schedule_ids(api)[name]
    before = len(finished_logs(api, report_id))
    trigger(server, report_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = finished_logs(api, report_id)
        if len(done) > before:
            return done[before]
        time.sleep(0.5)
    raise harness.HarnessError(f"{name} logged nothing new within {timeout:.0f} s")


def artifacts_dir() -> Path:
    return Path(os.environ.get("CRMWH_TEST_ARTIFACTS") or settings.REPO_ROOT / "test-artifacts")
