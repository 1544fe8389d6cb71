"""Reports and alerts as code (dashboards/reports/*.yaml): the files parse, name real assets, and the monthly pack's
calendar condition is true on the third business day of the month only; the demo mail sink keeps what it receives."""

from __future__ import annotations

import smtplib
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import duckdb
import pytest

from dashboards import mailsink, schedules, settings
from dashboards.boards import dashboards
from dashboards.cubes import load_cubes

from support.superset_harness import free_port


def test_every_report_file_parses_and_names_a_bundle_asset() -> None:
    specs = schedules.load()
    boards = dashboards(load_cubes())
    slugs = {board.slug for board in boards}
    charts = {chart.key for board in boards for chart in board.charts}
    assert {s.name for s in specs} >= {"经营分析月报", "支行周报", "数据质量严重检查未通过", "支行净贡献环比骤降"}
    for spec in specs:
        assert spec.timezone == settings.REPORTS_TIMEZONE, spec.source
        assert (spec.dashboard in slugs) if spec.dashboard else (spec.chart in charts), spec.source
    pack = next(s for s in specs if s.name == "经营分析月报")
    assert (pack.dashboard, pack.format, pack.recipients) == ("management-pack", "PDF", ("management",))
    weekly = next(s for s in specs if s.name == "支行周报")
    assert weekly.for_each == "branch_manager" and weekly.crontab == "0 8 * * 1"


def _third_weekdays(year: int, month: int) -> list[date]:
    day, seen = date(year, month, 1), 0
    while True:
        if day.isoweekday() < 6:
            seen += 1
            if seen == 3:
                return [day]
        day += timedelta(days=1)


@pytest.mark.parametrize(("year", "month"), [(2025, 1), (2025, 2), (2025, 3), (2026, 11), (2026, 12)])
def test_monthly_pack_condition_is_true_on_the_third_business_day_only(year: int, month: int) -> None:
    sql = next(s for s in schedules.load() if s.name == "经营分析月报").condition.sql
    con = duckdb.connect()
    try:
        true_on = []
        day = date(year, month, 1)
        while day.month == month:
            count = con.execute(sql.replace("current_date", f"DATE '{day.isoformat()}'")).fetchone()[0]
            if count > 0:
                true_on.append(day)
            day += timedelta(days=1)
    finally:
        con.close()
    assert true_on == _third_weekdays(year, month)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nkind: report\ndashboard: a\nchart: b\nformat: PDF\ncrontab: '0 8 * * 1'\nrecipients: [a@b]\n",
         "exactly one of dashboard"),
        ("name: x\nkind: report\ndashboard: a\nformat: CSV\ncrontab: '0 8 * * 1'\nrecipients: [a@b]\n",
         "CSV needs a chart"),
        ("name: x\nkind: alert\nchart: a\nformat: PNG\ncrontab: '0 8 * * 1'\nrecipients: [a@b]\n",
         "an alert needs condition"),
        ("name: x\nkind: report\nchart: a\nformat: PNG\ncrontab: '0 8 * *'\nrecipients: [a@b]\n", "five fields"),
        ("name: x\nkind: report\nchart: a\nformat: PNG\ncrontab: '0 8 * * 1'\n", "needs recipients"),
        ("name: x\nkind: report\nchart: a\nformat: PNG\ncrontab: '0 8 * * 1'\nrecipients: [a@b]\ncolour: red\n",
         "unknown keys"),
        ("name: x\nkind: alert\nchart: a\nformat: CSV\ncrontab: '0 8 * * 1'\nfor_each: relationship_manager\n"
         "condition: {sql: 'SELECT COUNT(*) FROM t'}\n", "names the RM as {rm_id}"),
        ("name: x\nkind: alert\nchart: a\nformat: CSV\ncrontab: '0 8 * * 1'\nrecipients: [a@b]\n"
         "condition: {sql: 'SELECT COUNT(*) FROM t WHERE rm_id = {rm_id}'}\n", "names the RM as {rm_id}"),
    ],
)  # fmt: skip
def test_a_bad_report_file_is_refused_with_its_reason(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(schedules.ScheduleError, match=message):
        schedules.parse(path)


def test_mail_sink_writes_each_message_with_its_envelope(tmp_path: Path) -> None:
    port = free_port()
    message = EmailMessage()
    message["Subject"] = "经营分析月报"
    message["From"] = "reports@bank.test"
    message["To"] = "board@bank.test"
    message.set_content("月报见附件")
    with mailsink.MailSink(tmp_path / "outbox", port=port), smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message, to_addrs=["board@bank.test", "hidden@bank.test"])
    received = mailsink.read_outbox(tmp_path / "outbox")
    assert len(received) == 1
    assert str(received[0]["Subject"]) == "经营分析月报"
    assert mailsink.envelope_recipients(received[0]) == ["board@bank.test", "hidden@bank.test"]
    assert received[0].get_content().strip() == "月报见附件"


def test_the_rm_alert_goes_to_each_rm_about_their_own_customers() -> None:
    alert = next(s for s in schedules.load() if s.name == "客户资产骤降提醒")
    assert (alert.kind, alert.for_each, alert.chart, alert.format) == ("alert", "relationship_manager",
                                                                       "aum_drop_customers", "CSV")
    assert schedules.RM_PLACEHOLDER in alert.condition.sql and alert.recipients == ()


@pytest.mark.parametrize(("year", "month"), [(2025, 1), (2025, 2), (2025, 3), (2026, 11), (2026, 12)])
def test_the_nth_business_day_counts_weekdays_by_default(year: int, month: int) -> None:
    assert [schedules.nth_business_day(year, month, 3)] == _third_weekdays(year, month)


def test_the_nth_business_day_follows_the_calendar_it_is_given() -> None:
    # October 2025: 1-8 October off (国庆节 and 中秋节), Saturday 11 October a make-up working day (调休)
    holidays = {date(2025, 10, d) for d in range(1, 9)}
    make_up = {date(2025, 10, 11)}

    def is_business_day(day: date) -> bool:
        return day in make_up or (day.isoweekday() < 6 and day not in holidays)

    assert schedules.nth_business_day(2025, 10, 1, is_business_day) == date(2025, 10, 9)
    assert schedules.nth_business_day(2025, 10, 3, is_business_day) == date(2025, 10, 11)
    assert schedules.nth_business_day(2025, 10, 3) == date(2025, 10, 3)
    with pytest.raises(schedules.ScheduleError, match="fewer than 40"):
        schedules.nth_business_day(2025, 10, 40)
