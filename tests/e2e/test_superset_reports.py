"""Scheduled reports and alerts by e-mail, end to end, on the production profile.

Superset starts as `make serve-production` starts it (gunicorn, Celery worker and beat, PostgreSQL metadata in a
throw-away database, Redis database 13) over a copy of the shared generated bank, sending mail to an aiosmtpd sink on
127.0.0.1 (dashboards/mailsink.py). The reports are dashboards/reports/*.yaml as loaded by bootstrap, except that the
monthly pack's calendar condition (third business day, checked in tests/unit/test_schedules.py) is made true, so
that triggering it sends it today (tests/support/reports_harness.py).

Checks: the monthly pack arrives with its subject and recipients, as a PDF whose text holds the month's bank-level
net contribution in 万元 equal to the warehouse's; the branch manager's weekly report holds only their branch subtree;
the data-quality alert stays quiet on a clean warehouse and fires (to data engineering) once a critical check fails;
an RM made a Superset user gets the customer AUM-drop alert, quiet until a customer of theirs loses AUM, and then
only about their own customers (row-level security on the attachment);
with the SMTP server down a report is logged as an error in Superset's execution log.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dashboards import mailsink, schedules, security, settings

from support import reports_harness as rh
from support import superset_harness as harness
from support.bank import ValidatedBank

ARTIFACTS = rh.artifacts_dir()
REDIS_DB = 13
MANAGEMENT, DATA_ENGINEERING = rh.MANAGEMENT, rh.DATA_ENGINEERING
PACK, WEEKLY, DQ_ALERT = rh.PACK, rh.WEEKLY, rh.DQ_ALERT
run_and_wait = rh.run_and_wait
BROKEN = "测试：查询失败的告警"
BROKEN_ALERT = f"""
name: {BROKEN}
kind: alert
chart: dq_failures
format: CSV
crontab: "0 3 1 1 *"
owner: admin
recipients: [management]
condition: {{sql: "SELECT COUNT(*) FROM marts.no_such_table", operator: ">", threshold: 0}}
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not harness.superset_python().exists(), reason="run scripts/superset_setup.sh first"),
    pytest.mark.skipif(not rh.services_reachable(), reason="PostgreSQL :5432 or Redis :6379 is not reachable"),
    pytest.mark.skipif(not Path("/usr/bin/chromedriver").exists(), reason="apt-get install chromium chromium-driver"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="apt-get install poppler-utils"),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    path = tmp_path_factory.mktemp("reports-bank") / "crmwh.duckdb"
    reused = os.environ.get("CRMWH_TEST_WAREHOUSE")
    if reused:
        source = Path(os.path.realpath(reused))
    else:
        validated: ValidatedBank = request.getfixturevalue("validated_bank")
        assert validated.report.passed, validated.report.summary()
        source = validated.warehouse
    # Published like a build does, so a later publish (the failed check below) swings the served link.
    from crmwh import publish

    staged = path.with_name("staged.duckdb")
    shutil.copyfile(source, staged)
    publish.publish(staged, path)
    return path


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[mailsink.MailSink]:
    outbox = tmp_path_factory.mktemp("outbox")
    with mailsink.MailSink(outbox, port=harness.free_port()) as started:
        yield started


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, warehouse: Path, sink: mailsink.MailSink
) -> Iterator[harness.SupersetServer]:
    reports = rh.reports_dir(tmp_path_factory.mktemp("reports"))
    # One alert whose query fails, as a report meets a query error in production.
    (reports / "alert_broken.yaml").write_text(BROKEN_ALERT, encoding="utf-8")
    with rh.production(
        tmp_path_factory.mktemp("superset-reports"),
        warehouse,
        sink,
        reports,
        REDIS_DB,
        ARTIFACTS / "superset-reports-serve.log",
    ) as started:
        print(f"\nSuperset (production, reports) started in {started.startup_s:.1f} s on port {started.port}")
        yield started


@pytest.fixture(scope="module")
def admin(server: harness.SupersetServer) -> harness.SupersetClient:
    return server.client()


def _schedules(api: harness.SupersetClient) -> dict[str, dict[str, Any]]:
    found = api.get("/api/v1/report/", q="(page_size:100)")["result"]
    return {row["name"]: row for row in found}


def mails_to(outbox: Path, recipient: str) -> list[EmailMessage]:
    return [m for m in mailsink.read_outbox(outbox) if recipient in mailsink.envelope_recipients(m)]


def pdf_text(message: EmailMessage, workdir: Path) -> str:
    # Superset attaches the PDF as application/octet-stream, named after the report.
    pdfs = [part for part in message.iter_attachments() if str(part.get_filename()).endswith(".pdf")]
    assert len(pdfs) == 1, [(p.get_content_type(), p.get_filename()) for p in message.iter_attachments()]
    assert pdfs[0].get_content().startswith(b"%PDF")
    path = workdir / f"{secrets.token_hex(4)}.pdf"
    path.write_bytes(pdfs[0].get_content())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, ARTIFACTS / f"report-{path.name}")
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout


def _duck(path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def wan_texts(amount: Decimal) -> set[str]:
    """How the pack's big number may print an amount in 万元 (d3 ',.2f'; a minus sign may be U+2212)."""
    wan = amount * Decimal("0.0001")
    texts = set()
    for rounding in (ROUND_HALF_EVEN, ROUND_HALF_UP):
        text = f"{wan.quantize(Decimal('0.01'), rounding=rounding):,.2f}"
        texts |= {text, text.replace("-", "\u2212")}
    return texts


def test_schedules_loaded_from_code(admin: harness.SupersetClient) -> None:
    loaded = _schedules(admin)
    specs = schedules.load()
    plain = {s.name for s in specs if s.for_each is None}
    assert plain <= set(loaded)
    weekly = [name for name in loaded if name.startswith(f"{WEEKLY}（")]
    assert weekly == [f"{WEEKLY}（{security.DEMO_USER}）"]
    pack = admin.get(f"/api/v1/report/{loaded[PACK]['id']}")["result"]
    assert pack["timezone"] == "Asia/Shanghai" and pack["crontab"] == "0 8 * * *"
    assert pack["report_format"] == "PDF" and pack["type"] == "Alert"


def apply_files(server: harness.SupersetServer) -> str:
    """The report files applied again by hand (python -m dashboards.schedules), as the next start would."""
    done = subprocess.run(
        [str(harness.superset_python()), "-m", "dashboards.schedules"],
        cwd=settings.REPO_ROOT,
        env={**server.env, "SUPERSET_CONFIG_PATH": str(settings.CONFIG_FILE)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_applying_the_files_again_changes_nothing_and_an_edit_updates(
    server: harness.SupersetServer, admin: harness.SupersetClient
) -> None:
    count = len(_schedules(admin))
    assert apply_files(server) == f"reports and alerts as code: 0 created, 0 updated, {count} unchanged, 0 deleted"
    reports = Path(server.env[settings.ENV_REPORTS_DIR])
    weekly = reports / "branch_weekly.yaml"
    text = weekly.read_text(encoding="utf-8")
    weekly.write_text(text.replace('crontab: "0 8 * * 1"', 'crontab: "30 7 * * 1"'), encoding="utf-8")
    try:
        line = apply_files(server)
        name = f"{WEEKLY}（{security.DEMO_USER}）"
        assert admin.get(f"/api/v1/report/{_schedules(admin)[name]['id']}")["result"]["crontab"] == "30 7 * * 1"
    finally:
        weekly.write_text(text, encoding="utf-8")
    assert line == f"reports and alerts as code: 0 created, 1 updated, {count - 1} unchanged, 0 deleted"
    assert apply_files(server).startswith("reports and alerts as code: 0 created, 1 updated")


def test_monthly_pack_mail_holds_the_bank_net_contribution(
    server: harness.SupersetServer,
    admin: harness.SupersetClient,
    sink: mailsink.MailSink,
    warehouse: Path,
    tmp_path: Path,
) -> None:
    entry = run_and_wait(server, admin, PACK)
    assert entry["state"] == "Success", entry
    mails = mails_to(sink.outbox, MANAGEMENT)
    assert len(mails) == 1, [m["Subject"] for m in mailsink.read_outbox(sink.outbox)]
    mail = mails[0]
    assert PACK in str(mail["Subject"])
    assert mailsink.envelope_recipients(mail) == [MANAGEMENT]

    (month, total), = _duck(
        warehouse,
        "SELECT f.month_start, SUM(f.net_contribution) FROM marts.fct_contribution_monthly AS f "
        "WHERE f.month_start = (SELECT max(month_start) FROM intermediate.int_month_watermarks WHERE is_complete) "
        "GROUP BY 1",
    )  # fmt: skip
    text = pdf_text(mail, tmp_path)
    assert "本月净贡献（万元）" in text
    assert "存贷款日均计划完成（亿元）" in text and "收入与净贡献计划完成（万元）" in text  # the plan vs actual section
    assert month.strftime("%Y-%m") in text  # the month just closed, named on the page
    assert wan_texts(total) & set(text.replace(" ", " ").split()), (month, total, text[:3000])


def test_branch_manager_report_holds_only_their_branch(
    server: harness.SupersetServer,
    admin: harness.SupersetClient,
    sink: mailsink.MailSink,
    warehouse: Path,
    tmp_path: Path,
) -> None:
    manager_email = f"{security.DEMO_USER}@crmwh.invalid"
    entry = run_and_wait(server, admin, f"{WEEKLY}（{security.DEMO_USER}）")
    assert entry["state"] == "Success", entry
    mails = mails_to(sink.outbox, manager_email)
    assert len(mails) == 1
    assert WEEKLY in str(mails[0]["Subject"])
    assert mailsink.envelope_recipients(mails[0]) == [manager_email]
    text = pdf_text(mails[0], tmp_path)

    code = _duck(warehouse, "SELECT min(branch_code) FROM marts.dim_branch WHERE branch_level_code = 'BRANCH'")[0][0]
    rows = _duck(
        warehouse,
        f"SELECT DISTINCT level3_branch_name, {security.branch_clause(code)} FROM marts.dim_branch "
        "WHERE level3_branch_name IS NOT NULL",
    )
    mine = {name for name, inside in rows if inside}
    others = {name for name, inside in rows if not inside} - mine
    # A name that is part of one of the manager's own names cannot tell the branches apart.
    others = {name for name in others if not any(name in own for own in mine)}
    assert mine and any(name in text for name in mine), text[:2000]
    assert not [name for name in others if name in text], text[:2000]


def test_data_quality_alert_quiet_then_fires(
    server: harness.SupersetServer, admin: harness.SupersetClient, sink: mailsink.MailSink, warehouse: Path
) -> None:
    def alerts() -> list[EmailMessage]:
        return [m for m in mails_to(sink.outbox, DATA_ENGINEERING) if "数据质量" in str(m["Subject"])]

    entry = run_and_wait(server, admin, DQ_ALERT)
    assert entry["state"] == "Not triggered", entry
    assert alerts() == []

    # A new warehouse version whose latest validation has a failed critical check (what a build writes).
    from crmwh import publish

    staged = warehouse.with_name("failed-check.duckdb")
    shutil.copyfile(os.path.realpath(warehouse), staged)
    con = duckdb.connect(str(staged))
    try:
        con.execute(
            "INSERT INTO quality.validation_results SELECT 'test-run', now()::TIMESTAMP + INTERVAL 1 HOUR, stage, "
            "suite, expectation, 'critical', false, '1', 'made to fail by the test' "
            "FROM quality.validation_results WHERE stage = 'marts' LIMIT 1"
        )
    finally:
        con.close()
    publish.publish(staged, warehouse)

    entry = run_and_wait(server, admin, DQ_ALERT)
    assert entry["state"] == "Success", entry
    mails = alerts()
    assert len(mails) == 1
    assert mailsink.envelope_recipients(mails[0]) == [DATA_ENGINEERING]


def test_a_failing_report_is_logged_and_data_engineering_told(
    server: harness.SupersetServer, admin: harness.SupersetClient, sink: mailsink.MailSink
) -> None:
    owners = admin.get(f"/api/v1/report/{_schedules(admin)[BROKEN]['id']}")["result"]["owners"]
    assert {o["first_name"] for o in owners} == {"CRM", "数据"}, owners  # the admin and data engineering
    entry = run_and_wait(server, admin, BROKEN)
    assert entry["state"] == "Error", entry
    assert entry["error_message"], entry
    # Superset logs the error first and then mails each owner: wait for the mail.
    deadline = time.monotonic() + 60
    while not (told := [m for m in mails_to(sink.outbox, DATA_ENGINEERING) if BROKEN in str(m["Subject"])]):
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert told, [(m["Subject"], mailsink.envelope_recipients(m)) for m in mailsink.read_outbox(sink.outbox)]
    assert not [m for m in mails_to(sink.outbox, MANAGEMENT) if BROKEN in str(m["Subject"])]


def test_a_failed_send_is_logged(
    server: harness.SupersetServer, admin: harness.SupersetClient, sink: mailsink.MailSink
) -> None:
    sink.stop()  # SMTP down
    try:
        entry = run_and_wait(server, admin, f"{WEEKLY}（{security.DEMO_USER}）")
    finally:
        sink.start()
    assert entry["state"] == "Error", entry
    assert entry["error_message"], entry
    print(json.dumps(entry, ensure_ascii=False, default=str)[:500])


RM_ALERT = "客户资产骤降提醒"
_ADD_RM_USER = """
from superset.app import create_app
app = create_app()
with app.app_context():
    from superset.extensions import security_manager
    from dashboards import security
    if security_manager.find_user(username={rm!r}) is None:
        role = security_manager.find_role(security.RELATIONSHIP_MANAGER)
        assert security_manager.add_user({rm!r}, "客户", "经理", {email!r}, [role], password=None)
"""


def _in_server(server: harness.SupersetServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(harness.superset_python()), *args],
        cwd=settings.REPO_ROOT,
        env={**server.env, "SUPERSET_CONFIG_PATH": str(settings.CONFIG_FILE)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_rm_alert_quiet_then_tells_each_rm_of_their_own_customers_only(
    server: harness.SupersetServer, admin: harness.SupersetClient, sink: mailsink.MailSink, warehouse: Path
) -> None:
    # two active RMs with customers and no AUM drop in the warehouse: the first becomes a Superset user
    (rm, mine), (_, theirs) = _duck(
        warehouse,
        "SELECT c.rm_id, min(c.party_id) FROM marts.dim_customer AS c "
        "JOIN marts.dim_relationship_manager AS r ON r.rm_id = c.rm_id "
        "WHERE c.is_current AND r.is_active "
        "AND c.rm_id NOT IN (SELECT rm_id FROM marts.rpt_customer_aum_drop_alert) GROUP BY 1 ORDER BY 1 LIMIT 2",
    )
    email = f"{rm.lower()}@bank.test"
    added = _in_server(server, "-c", _ADD_RM_USER.format(rm=rm, email=email))
    assert added.returncode == 0, added.stderr[-2000:]
    synced = _in_server(server, "-m", "dashboards.users", "sync")
    assert synced.returncode in (0, 1) and "relationship managers: 1 see their own customers" in synced.stdout, (
        synced.stdout, synced.stderr[-2000:])
    apply_files(server)
    name = f"{RM_ALERT}（{rm}）"
    assert [n for n in _schedules(admin) if n.startswith(RM_ALERT)] == [name]

    def alerts() -> list[EmailMessage]:
        return [m for m in mails_to(sink.outbox, email) if "资产骤降" in str(m["Subject"])]

    entry = run_and_wait(server, admin, name)
    assert entry["state"] == "Not triggered", entry
    assert alerts() == []

    # a new warehouse version in which a customer of each RM lost AUM: the RM hears of their own customer only
    from crmwh import publish

    staged = warehouse.with_name("aum-drop.duckdb")
    shutil.copyfile(os.path.realpath(warehouse), staged)
    con = duckdb.connect(str(staged))
    try:
        for party in (mine, theirs):
            con.execute(
                "INSERT INTO marts.rpt_customer_aum_drop_alert SELECT DATE '2025-05-30', DATE '2025-05-29', "
                "party_id, customer_type_code, aum_tier_code, rm_id, home_branch_code, 2000000.00, 100000.00, "
                "1900000.00 FROM marts.dim_customer WHERE is_current AND party_id = ?",
                [party],
            )
    finally:
        con.close()
    publish.publish(staged, warehouse)

    entry = run_and_wait(server, admin, name)
    assert entry["state"] == "Success", entry
    mails = alerts()
    assert len(mails) == 1 and mailsink.envelope_recipients(mails[0]) == [email]
    (attachment,) = [p for p in mails[0].iter_attachments() if str(p.get_filename()).endswith(".csv")]
    content = attachment.get_content()
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    cells = {cell.strip() for line in text.splitlines() for cell in line.split(",")}
    assert mine in cells and theirs not in cells, text[:2000]
