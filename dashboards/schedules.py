"""Reports and alerts as code: ``dashboards/reports/*.yaml`` read, checked and applied to Superset's Alerts & Reports.

One file per schedule. Keys (``kind`` report or alert):

* ``name``, ``description``; ``dashboard`` (a board's slug) or ``chart`` (a chart's key); ``format`` PDF, PNG or CSV
  (CSV: charts only);
* ``crontab`` and ``timezone`` (default Asia/Shanghai); ``subject`` (optional e-mail subject);
* ``recipients``: addresses, or the words ``data_engineering`` (``CRMWH_DATA_ENGINEERING_EMAIL``) and ``management``
  (``CRMWH_MANAGEMENT_EMAIL``); ``owner``: the Superset user the report runs as (row-level security is theirs);
* ``for_each: branch_manager``: one schedule per 支行行长 user with a branch, owned by and sent to that manager;
  ``for_each: relationship_manager``: one per 客户经理 user who is an active RM (``dashboards.security``), owned by
  and sent to that RM; an alert's ``condition.sql`` names the RM as ``{rm_id}`` (required), so it counts the RM's own
  customers. One schedule per user, not one per branch listing its RMs, because Superset runs a report as one user
  and applies that user's row-level security to the attachment: each RM's alert runs as the RM and so holds only the
  RM's customers, while the condition, plain SQL that row-level security does not reach, is narrowed by ``{rm_id}``;
* alerts: ``condition.sql`` on the warehouse (one number), ``condition.operator`` and ``condition.threshold``;
  ``grace_hours``: after firing, quiet for that long. ``{nth_business_days:N}`` in a condition stands for the dates of
  the N-th business day of every month of last year, this year and next year in the bank's office calendar (the
  profile's ``office_calendar``: public holidays off, 调休 make-up working days on), written as date literals when the
  schedules are applied (every Superset start), since cron cannot count business days.

Every schedule made from these files is owned also by the data-engineering user, so Superset mails a failed run
(the error is in the execution log too) to data engineering. Applying the files twice changes nothing; editing a
file updates its schedule in place; a schedule whose file is gone is deleted. Schedules made by hand in Superset are
left alone.

The parsing needs only PyYAML (tests check the files in the warehouse ``.venv``); :func:`apply` runs inside Superset's
app context (bootstrap).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from contracts.business_calendar import BusinessCalendar
from contracts.errors import CrmwhError
from contracts.profile import load_profile
from dashboards import settings

KINDS = {"report": "Report", "alert": "Alert"}
FORMATS = ("PDF", "PNG", "CSV")
OPERATORS = ("<", "<=", ">", ">=", "==", "!=")
FOR_EACH = ("branch_manager", "relationship_manager")
RM_PLACEHOLDER = "{rm_id}"
BUSINESS_DAYS_PLACEHOLDER = re.compile(r"\{nth_business_days:(\d+)\}")
DATA_ENGINEERING_USER = "data_engineering"
ENV_MANAGEMENT_EMAIL = "CRMWH_MANAGEMENT_EMAIL"
DEFAULT_MANAGEMENT_EMAIL = "management@localhost"
# Marks a schedule as made from these files (kept in the schedule's extra JSON), with the file it came from.
SOURCE_KEY = "crmwh_source"
_KEYS = {"name", "kind", "description", "dashboard", "chart", "format", "crontab", "timezone", "subject",
         "recipients", "owner", "for_each", "condition", "grace_hours"}  # fmt: skip


class ScheduleError(CrmwhError, ValueError):
    """A report or alert file is unusable; the message names the file and the key."""


@dataclass(frozen=True)
class Condition:
    sql: str
    operator: str
    threshold: float


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    kind: str  # report | alert
    source: str  # the file, relative to the repository
    crontab: str
    timezone: str
    format: str
    recipients: tuple[str, ...]
    owner: str
    description: str = ""
    dashboard: str | None = None
    chart: str | None = None
    subject: str | None = None
    for_each: str | None = None
    condition: Condition | None = None
    grace_hours: float = 4.0
    extra: dict[str, Any] = field(default_factory=dict)


def _text(data: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ScheduleError(f"{where}: {key} must be a non-empty text")
    return value.strip()


def _cron(value: str, where: str) -> str:
    fields = value.split()
    if len(fields) != 5:
        raise ScheduleError(f"{where}: crontab {value!r} must have five fields (minute hour day month weekday)")
    return " ".join(fields)


def parse(path: Path) -> ScheduleSpec:
    where = str(path.relative_to(settings.REPO_ROOT) if path.is_relative_to(settings.REPO_ROOT) else path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScheduleError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ScheduleError(f"{where}: expected a mapping of keys")
    unknown = set(data) - _KEYS
    if unknown:
        raise ScheduleError(f"{where}: unknown keys {sorted(unknown)} (known: {', '.join(sorted(_KEYS))})")
    kind = _text(data, "kind", where)
    if kind not in KINDS:
        raise ScheduleError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    dashboard, chart = data.get("dashboard"), data.get("chart")
    if (dashboard is None) == (chart is None):
        raise ScheduleError(f"{where}: name exactly one of dashboard (a slug) or chart (a chart key)")
    fmt = _text(data, "format", where).upper()
    if fmt not in FORMATS:
        raise ScheduleError(f"{where}: format {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "CSV" and chart is None:
        raise ScheduleError(f"{where}: CSV needs a chart, not a dashboard")
    for_each = data.get("for_each")
    if for_each is not None and for_each not in FOR_EACH:
        raise ScheduleError(f"{where}: for_each {for_each!r} is not one of {', '.join(FOR_EACH)}")
    recipients = data.get("recipients") or []
    if not isinstance(recipients, list) or not all(isinstance(r, str) and r.strip() for r in recipients):
        raise ScheduleError(f"{where}: recipients must be a list of addresses")
    if not recipients and for_each is None:
        raise ScheduleError(f"{where}: a schedule needs recipients (or for_each)")
    condition = None
    if kind == "alert":
        spec = data.get("condition")
        if not isinstance(spec, dict):
            raise ScheduleError(f"{where}: an alert needs condition: {{sql, operator, threshold}}")
        operator = str(spec.get("operator", ">")).strip()
        if operator not in OPERATORS:
            raise ScheduleError(f"{where}: condition.operator {operator!r} is not one of {' '.join(OPERATORS)}")
        threshold = spec.get("threshold", 0)
        if not isinstance(threshold, int | float) or isinstance(threshold, bool):
            raise ScheduleError(f"{where}: condition.threshold must be a number")
        condition = Condition(_text(spec, "sql", where), operator, float(threshold))
        if (for_each == "relationship_manager") != (RM_PLACEHOLDER in condition.sql):
            raise ScheduleError(f"{where}: condition.sql names the RM as {RM_PLACEHOLDER} exactly when the alert is "
                                "for_each: relationship_manager")
    elif "condition" in data:
        raise ScheduleError(f"{where}: only an alert has a condition")
    grace = data.get("grace_hours", 4)
    if not isinstance(grace, int | float) or isinstance(grace, bool) or grace < 0:
        raise ScheduleError(f"{where}: grace_hours must be a number of hours, 0 or more")
    return ScheduleSpec(
        name=_text(data, "name", where),
        kind=kind,
        source=where,
        crontab=_cron(_text(data, "crontab", where), where),
        timezone=_text(data, "timezone", where, settings.REPORTS_TIMEZONE),
        format=fmt,
        recipients=tuple(r.strip() for r in recipients),
        owner=_text(data, "owner", where, settings.admin_user()) if for_each is None else "",
        description=str(data.get("description") or "").strip(),
        dashboard=str(dashboard) if dashboard is not None else None,
        chart=str(chart) if chart is not None else None,
        subject=str(data["subject"]).strip() if data.get("subject") else None,
        for_each=for_each,
        condition=condition,
        grace_hours=float(grace),
    )


def load(folder: Path | None = None) -> list[ScheduleSpec]:
    """Every schedule file of the folder, in name order; names must be unique."""
    folder = folder or settings.reports_dir()
    specs = [parse(path) for path in sorted(folder.glob("*.yaml"))]
    seen: dict[str, str] = {}
    for spec in specs:
        if spec.name in seen:
            raise ScheduleError(f"{spec.source}: the name {spec.name!r} is already used by {seen[spec.name]}")
        seen[spec.name] = spec.source
    return specs


def address(recipient: str) -> str:
    """A recipient word as an address: data_engineering and management come from the environment."""
    if recipient == "data_engineering":
        return settings.data_engineering_email()
    if recipient == "management":
        return os.environ.get(ENV_MANAGEMENT_EMAIL, "").strip() or DEFAULT_MANAGEMENT_EMAIL
    return recipient


# ---- inside Superset's app context ---------------------------------------------------------------------------


@dataclass
class ApplyReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"reports and alerts as code: {len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.deleted)} deleted")  # fmt: skip


def _data_engineering_user() -> Any:
    """The owner every schedule shares, so that failures are mailed to data engineering (no login: no password)."""
    from superset.extensions import db, security_manager

    from dashboards import security

    email = settings.data_engineering_email()
    user = security_manager.find_user(username=DATA_ENGINEERING_USER)
    role = security_manager.find_role(security.DATA_ENGINEER)
    if user is None:
        user = security_manager.add_user(DATA_ENGINEERING_USER, "数据", "工程", email, [role], password=None)
        if not user:
            raise ScheduleError(f"could not create the Superset user {DATA_ENGINEERING_USER!r}")
    changed = False
    if user.email != email:
        user.email, changed = email, True
    if role is not None and role not in user.roles:
        user.roles, changed = [*user.roles, role], True
    if changed:
        db.session.commit()
    return user


def render_condition(sql: str, today: date, calendar: BusinessCalendar | None = None) -> str:
    """The condition with each ``{nth_business_days:N}`` replaced by the N-th business day of every month from the
    January of last year to the December of next year (of ``today``), in ``calendar`` (default: the bank profile's
    office calendar), as DuckDB date literals."""
    office = calendar or load_profile().report_calendar

    def days(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n < 1:
            raise ScheduleError(f"the business day of a month counts from 1, not {n}")
        dates = [office.nth_business_day(year, month, n)
                 for year in (today.year - 1, today.year, today.year + 1) for month in range(1, 13)]
        return ", ".join(f"DATE '{d.isoformat()}'" for d in dates)

    return BUSINESS_DAYS_PLACEHOLDER.sub(days, sql)


def _targets(spec: ScheduleSpec) -> list[tuple[str, Any, list[str], str | None]]:
    """(schedule name, owner user, recipient addresses, condition SQL) for each schedule the spec stands for."""
    from superset.extensions import db, security_manager

    from dashboards import security

    sql = render_condition(spec.condition.sql, date.today()) if spec.condition is not None else None
    if spec.for_each is not None:
        prefix = security.SCOPE_PREFIX if spec.for_each == "branch_manager" else security.RM_SCOPE_PREFIX
        model = security_manager.user_model
        out = []
        for user in db.session.query(model).order_by(model.username).all():
            scopes = [r.name for r in user.roles if r.name.startswith(prefix)]
            if user.active and scopes:
                mine = sql.replace(RM_PLACEHOLDER, "'" + user.username.replace("'", "''") + "'") if sql else None
                out.append((f"{spec.name}（{user.username}）", user, [user.email, *map(address, spec.recipients)],
                            mine))
        return out
    owner = security_manager.find_user(username=spec.owner)
    if owner is None:
        raise ScheduleError(f"{spec.source}: owner {spec.owner!r} is not a Superset user")
    return [(spec.name, owner, [address(r) for r in spec.recipients], sql)]


def _state(schedule: Any) -> tuple[Any, ...]:
    recipients = sorted(r.recipient_config_json for r in schedule.recipients)
    owners = sorted(o.id for o in schedule.owners)
    return (
        schedule.description, schedule.crontab, schedule.timezone, schedule.report_format, schedule.sql,
        schedule.chart_id, schedule.dashboard_id, schedule.database_id, schedule.validator_type,
        schedule.validator_config_json, schedule.grace_period, schedule.email_subject, schedule.extra_json,
        schedule.active, schedule.created_by_fk, recipients, owners,
    )  # fmt: skip


def apply(specs: list[ScheduleSpec]) -> ApplyReport:
    """Make Superset's schedules match the specs (see the module docstring)."""
    from superset.extensions import db
    from superset.models.dashboard import Dashboard
    from superset.models.slice import Slice
    from superset.reports.models import (
        ReportCreationMethod,
        ReportRecipients,
        ReportRecipientType,
        ReportSchedule,
        ReportScheduleValidatorType,
    )

    from dashboards.charts import asset_uuid
    from dashboards.security import _warehouse_database

    report = ApplyReport()
    engineering = _data_engineering_user()
    database = _warehouse_database()
    wanted: set[tuple[str, str]] = set()
    for spec in specs:
        if spec.dashboard is not None:
            target = db.session.query(Dashboard).filter_by(uuid=asset_uuid("dashboard", spec.dashboard)).one_or_none()
        else:
            target = db.session.query(Slice).filter_by(uuid=asset_uuid("chart", spec.chart)).one_or_none()
        if target is None:
            raise ScheduleError(f"{spec.source}: no {'dashboard' if spec.dashboard else 'chart'} "
                                f"{spec.dashboard or spec.chart!r} in the bundle")  # fmt: skip
        for name, owner, recipients, sql in _targets(spec):
            kind = KINDS[spec.kind]
            wanted.add((name, kind))
            schedule = db.session.query(ReportSchedule).filter_by(name=name, type=kind).one_or_none()
            before = _state(schedule) if schedule is not None else None
            if schedule is None:
                schedule = ReportSchedule(name=name, type=kind, creation_method=ReportCreationMethod.ALERTS_REPORTS)
                db.session.add(schedule)
            schedule.description = spec.description
            schedule.crontab = spec.crontab
            schedule.timezone = spec.timezone
            schedule.report_format = spec.format
            schedule.active = True
            schedule.chart_id = target.id if spec.chart else None
            schedule.dashboard_id = target.id if spec.dashboard else None
            schedule.email_subject = spec.subject
            schedule.grace_period = int(spec.grace_hours * 3600)
            schedule.extra_json = json.dumps({SOURCE_KEY: spec.source}, ensure_ascii=False)
            if spec.condition is not None:
                schedule.sql = sql
                schedule.database_id = database.id
                schedule.validator_type = ReportScheduleValidatorType.OPERATOR
                schedule.validator_config_json = json.dumps(
                    {"op": spec.condition.operator, "threshold": spec.condition.threshold}
                )
            else:
                schedule.sql, schedule.database_id, schedule.validator_type = None, None, None
                schedule.validator_config_json = "{}"
            # The owner as creator: with two owners Superset runs the schedule as the creator (unless an owner last
            # edited it), so the owner's row-level security applies; data engineering co-owns it to hear of failures.
            schedule.created_by_fk = owner.id
            owners = [owner] if owner.id == engineering.id else [owner, engineering]
            if sorted(o.id for o in schedule.owners) != sorted(o.id for o in owners):
                schedule.owners = owners
            config = json.dumps({"target": ",".join(dict.fromkeys(recipients))})
            if sorted(r.recipient_config_json for r in schedule.recipients) != [config]:
                for old in list(schedule.recipients):
                    db.session.delete(old)
                schedule.recipients = [ReportRecipients(type=ReportRecipientType.EMAIL, recipient_config_json=config)]
            db.session.flush()
            if before is None:
                report.created.append(name)
            elif _state(schedule) != before:
                report.updated.append(name)
            else:
                report.unchanged.append(name)
    for schedule in db.session.query(ReportSchedule).all():
        source = (schedule.extra or {}).get(SOURCE_KEY) if isinstance(schedule.extra, dict) else None
        if source and (schedule.name, schedule.type) not in wanted:
            report.deleted.append(schedule.name)
            db.session.delete(schedule)
    db.session.commit()
    return report


def main() -> int:
    """``python -m dashboards.schedules`` (in ``.venv-superset``, Superset's environment): apply the files now, as the
    bootstrap of the production profile does, and print what changed."""
    import sys

    try:
        specs = load()
        from superset.app import create_app

        app = create_app()
        with app.app_context(), app.test_request_context():
            report = apply(specs)
    except CrmwhError as exc:
        print(f"schedules: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    print(report.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
