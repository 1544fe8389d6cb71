"""Reports and alerts as code (dashboards/reports/*.yaml): the files parse, name real assets, and the monthly pack's
calendar condition is true on the third business day of the month only; the demo mail sink keeps what it receives."""

from __future__ import annotations

import smtplib
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import duckdb
import pytest

from contracts.business_calendar import BusinessCalendar, load_calendar
from contracts.profile import load_profile
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


def _days_the_pack_condition_is_true(year: int, month: int, calendar: BusinessCalendar | None = None) -> list[date]:
    spec = next(s for s in schedules.load() if s.name == "经营分析月报")
    con = duckdb.connect()
    try:
        true_on, day = [], date(year, month, 1)
        while day.month == month:
            sql = schedules.render_condition(spec.condition.sql, day, calendar)
            if con.execute(sql.replace("current_date", f"DATE '{day.isoformat()}'")).fetchone()[0] > 0:
                true_on.append(day)
            day += timedelta(days=1)
    finally:
        con.close()
    return true_on


@pytest.mark.parametrize(("year", "month"), [(2025, 3), (2025, 7), (2026, 6), (2026, 11), (2026, 12)])
def test_monthly_pack_condition_is_true_on_the_third_business_day_only(year: int, month: int) -> None:
    # months without holidays in their first days: the third Monday-to-Friday day
    third_weekday = [d for d in (date(year, month, i) for i in range(1, 8)) if d.isoweekday() < 6][2]
    assert _days_the_pack_condition_is_true(year, month) == [third_weekday]


def test_monthly_pack_counts_business_days_in_the_office_calendar() -> None:
    # the demo bank's offices keep mainland China's calendar (contracts/bank.yaml office_calendar: CN): October 2025
    # is off from the 1st to the 8th (国庆节, 中秋节) and Saturday the 11th is a make-up working day (调休); February
    # 2025 is off to the 4th (春节) and Saturday the 8th is worked; May 2026 is off to the 5th (劳动节)
    assert load_profile().report_calendar.name == "CN"
    assert _days_the_pack_condition_is_true(2025, 10) == [date(2025, 10, 11)]
    assert _days_the_pack_condition_is_true(2025, 2) == [date(2025, 2, 7)]
    assert _days_the_pack_condition_is_true(2025, 1) == [date(2025, 1, 6)]  # 1 January off
    assert _days_the_pack_condition_is_true(2026, 5) == [date(2026, 5, 8)]
    # the same file for a bank whose offices work Monday to Friday
    assert _days_the_pack_condition_is_true(2025, 10, load_calendar("WEEKDAYS")) == [date(2025, 10, 3)]
    # the schedule wakes every day, so a make-up Saturday is reached
    assert next(s for s in schedules.load() if s.name == "经营分析月报").crontab == "0 8 * * *"


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


def test_a_business_day_counted_from_zero_is_refused() -> None:
    with pytest.raises(schedules.ScheduleError, match="counts from 1"):
        schedules.render_condition("SELECT {nth_business_days:0}", date(2025, 10, 1), load_calendar("CN"))
