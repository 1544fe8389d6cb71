"""Rebuild safety: Superset keeps answering chart requests while a real ``crmwh build`` replaces the file it serves.

A scale-0.01 bank of four business days (30 January – 2 February 2025) is generated; the February days are held back
and the January warehouse is published with ``crmwh build``. Superset serves it (the generated dashboards). Then the
February days are restored and the real command, ``python -m crmwh.cli build``, runs over the same served file while
client threads request the data of saved dashboard charts of several cubes, round robin, for the whole build.

Asserted: no request fails (HTTP status, or an error inside the chart-data answer); enough requests fell inside the
build; after the build the charts show February, and a chart-data answer equals the same query run by DuckDB on the
served file, exactly as Decimal.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crmwh.build import run_build
from dashboards.charts import asset_uuid

from support import dbt_harness
from support import superset_harness as harness

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CRMWH_TEST_ARTIFACTS") or REPO / "test-artifacts")
PYTHON = str(REPO / ".venv" / "bin" / "python")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not harness.superset_python().exists(), reason="run scripts/superset_setup.sh first"),
]

START, DAYS, HELD_BACK = "2025-01-30", 4, 2  # the two held-back days are the February ones: a new month appears
LAST_HELD_DAY, LAST_FIRST_BUILD_DAY = date(2025, 2, 2), date(2025, 1, 31)
# Saved dashboard charts over different cubes (and so different marts): daily, monthly, big number, bars.
CHARTS = ("txn_trend", "mgmt_trend", "prod_adb", "risk_out", "cv_customers", "card_types", "branch_cost_trend")
HAMMER_THREADS = 2  # a dashboard loads its charts concurrently: overlapping queries across the swap
MIN_REQUESTS_DURING_BUILD = 20
HAMMER_LIMIT_S = 1200.0  # the loop stops by itself even if the test is stuck
SYSTEMS = ("ref", "core", "cards", "accounting")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


def _duck(path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@dataclass
class Bank:
    landing: Path
    held: Path
    served: Path

    def hold_back(self) -> None:
        """Move the last HELD_BACK business-day folders of every system aside (as bench/run.py does)."""
        for system in SYSTEMS:
            days = sorted(d for d in (self.landing / system).iterdir() if d.is_dir())
            for day in days[-HELD_BACK:]:
                (self.held / system).mkdir(parents=True, exist_ok=True)
                day.rename(self.held / system / day.name)

    def restore(self) -> None:
        for system in SYSTEMS:
            for day in sorted((self.held / system).iterdir()):
                day.rename(self.landing / system / day.name)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Bank:
    work = tmp_path_factory.mktemp("rebuild")
    found = Bank(work / "landing", work / "held", work / "warehouse" / "crmwh.duckdb")
    _run(PYTHON, "-m", "crmwh.cli", "generate", "--scale", "0.01", "--start", START, "--days", str(DAYS),
         "--landing", str(found.landing), "--quiet")  # fmt: skip
    found.hold_back()
    # The first build only sets the scene (January): skip its validation gate, and run its dbt in this process, to
    # keep the test cheap. The build under test below is the real command.
    with dbt_harness.in_process_builds():
        assert run_build(found.landing, found.served, validate=False, progress=False).published
    assert _duck(found.served, "SELECT max(txn_on) FROM marts.fct_transactions") == [(LAST_FIRST_BUILD_DAY,)]
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, bank: Bank) -> Iterator[harness.SupersetServer]:
    workdir = tmp_path_factory.mktemp("superset-rebuild")
    with harness.serving(workdir, bank.served, ARTIFACTS / "superset-rebuild-serve.log") as started:
        yield started


@dataclass
class Answer:
    chart: str
    started: float
    ended: float
    error: str | None
    latest_x: int | None  # the largest x-axis value (epoch ms) of a time-series chart


def _chart_ids(api: harness.SupersetClient) -> dict[str, int]:
    listed = api.list_all("/api/v1/chart/", "columns:!(id,uuid)")
    by_uuid = {row["uuid"]: int(row["id"]) for row in listed}
    return {key: by_uuid[asset_uuid("chart", key)] for key in CHARTS}


def _request(api: harness.SupersetClient, key: str, chart_id: int) -> Answer:
    started = time.monotonic()
    error: str | None = None
    latest: int | None = None
    try:
        response = api.session.get(
            f"{api.base_url}/api/v1/chart/{chart_id}/data/", params={"force": "true"}, timeout=api.timeout
        )
        if response.status_code != 200:
            error = f"{key}: HTTP {response.status_code} {response.text[:500]}"
        else:
            result = response.json()["result"][0]
            if result.get("error") or result.get("status") not in (None, "success"):
                error = f"{key}: {result.get('status')} {result.get('error')}"
            elif not result.get("rowcount"):
                error = f"{key}: no rows"
            elif key == "txn_trend":
                latest = max(int(row["txn_on"]) for row in result["data"])
    except Exception as exc:  # a refused or reset connection is a failure too, and must not end the loop
        error = f"{key}: {type(exc).__name__}: {exc}"
    return Answer(key, started, time.monotonic(), error, latest)


def _epoch_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _csv(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows, "empty CSV answer"
    return rows[1:]


def test_charts_answer_throughout_a_real_build(server: harness.SupersetServer, bank: Bank) -> None:
    admin = server.client()
    ids = _chart_ids(admin)
    before = _request(admin, "txn_trend", ids["txn_trend"])
    assert before.error is None and before.latest_x == _epoch_ms(LAST_FIRST_BUILD_DAY)

    answers: list[Answer] = []
    stop = threading.Event()

    def hammer(offset: int) -> None:
        client = harness.SupersetClient(admin.base_url)
        client.session.headers.update(admin.session.headers)
        client.session.cookies.update(admin.session.cookies)
        deadline = time.monotonic() + HAMMER_LIMIT_S
        turn = offset
        while not stop.is_set() and time.monotonic() < deadline:
            key = CHARTS[turn % len(CHARTS)]
            answers.append(_request(client, key, ids[key]))
            turn += 1

    threads = [threading.Thread(target=hammer, args=(i * 3,), daemon=True) for i in range(HAMMER_THREADS)]
    version_before = os.path.realpath(bank.served)
    bank.restore()
    build_log = server.workdir / "crmwh-build.log"
    for thread in threads:
        thread.start()
    try:
        while len(answers) < len(CHARTS):  # the hammer is up before the build starts
            time.sleep(0.05)
        build_started = time.monotonic()
        with build_log.open("w") as log:
            build = subprocess.run(
                [PYTHON, "-m", "crmwh.cli", "build", "--landing", str(bank.landing), "--warehouse", str(bank.served)],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
                timeout=HAMMER_LIMIT_S,
            )
        build_ended = time.monotonic()
        # Keep going across the swap until every chart has answered twice more, each request started after it.
        while sum(1 for a in answers if a.started > build_ended) < 2 * len(CHARTS):
            if not any(t.is_alive() for t in threads):
                break
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(build_log, ARTIFACTS / "superset-rebuild-build.log")

    assert build.returncode == 0, build_log.read_text(encoding="utf-8")[-4000:]
    # published as a new version behind the served link (crmwh/publish.py), never written in place
    assert bank.served.is_symlink() and os.path.realpath(bank.served) != version_before
    errors = [f"{a.error} (started {a.started - build_ended:+.2f} s from the build's end)" for a in answers if a.error]
    during = [a for a in answers if a.started >= build_started and a.ended <= build_ended]
    print(
        f"\n{len(answers)} chart requests, {len(during)} within the {build_ended - build_started:.0f} s build, "
        f"{len(errors)} errors"
    )
    assert not errors, f"{len(errors)} of {len(answers)} chart requests failed; first: {errors[0]}"
    assert len(during) >= MIN_REQUESTS_DURING_BUILD, f"only {len(during)} requests fell inside the build"
    assert {a.chart for a in during} == set(CHARTS)

    # Requests that started after the swap see February, also while the other thread keeps querying.
    after = [a for a in answers if a.chart == "txn_trend" and a.started > build_ended]
    assert after and all(a.latest_x == _epoch_ms(LAST_HELD_DAY) for a in after)
    fresh = _request(admin, "txn_trend", ids["txn_trend"])
    assert fresh.error is None and fresh.latest_x == _epoch_ms(LAST_HELD_DAY)

    # The served file now answers, through Superset, exactly what DuckDB computes from it.
    dataset = {
        row["table_name"]: int(row["id"]) for row in admin.get("/api/v1/dataset/", q="(page_size:100)")["result"]
    }["transactions"]
    text = admin.chart_data(
        dataset,
        {
            "columns": ["year_month"],
            "metrics": [
                "transactions",
                "amount",
                {"expressionType": "SQL", "sqlExpression": "MAX(txn_on)", "label": "last_day"},
            ],
            "orderby": [["year_month", True]],
            "row_limit": 100,
        },
        result_format="csv",
    )
    got = [(ym, int(n), Decimal(amount), last) for ym, n, amount, last in _csv(text)]
    want = [
        (ym, n, amount, last.isoformat())
        for ym, n, amount, last in _duck(
            bank.served,
            "SELECT strftime(txn_on, '%Y-%m'), COUNT(*) FILTER (WHERE NOT is_reversal), SUM(amount_cny) * 0.0001, "
            "max(txn_on) FROM marts.fct_transactions GROUP BY 1 ORDER BY 1",
        )
    ]
    assert [row[0] for row in want] == ["2025-01", "2025-02"]
    assert want[-1][3] == LAST_HELD_DAY.isoformat()
    assert got == want
