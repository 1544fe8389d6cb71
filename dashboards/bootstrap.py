"""Bring Superset's metadata to a servable state; safe to run on every start.

Runs inside ``.venv-superset`` (``python -m dashboards.bootstrap``), with ``SUPERSET_CONFIG_PATH`` pointing at
``dashboards/superset_config.py``. In one process, so Superset's app is built once:

1. ``superset db upgrade``  (schema migrations; a no-op at head)
2. register the warehouse DuckDB file, read-only, under a fixed UUID
3. ``superset init``        (permissions and built-in roles, including the warehouse's database_access)
4. the admin user exists, is an Admin, and has the effective password
5. the bundle's datasets, charts and dashboards; the roles; row-level security (fail closed) and the branch managers'
   branches from the warehouse (``dashboards.security``, ``dashboards.branch_map``)
6. production profile: the reports and alerts as code (``dashboards/reports/*.yaml``, ``dashboards.schedules``);
   the embedded profile schedules nothing and says how to start the production one

An expected failure prints one line (``bootstrap: …``) and exits 2; serve reports it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from contracts.errors import CrmwhError
from dashboards import branch_map, settings
from dashboards.branch_map import BranchMap
from dashboards.errors import SupersetSetupError

log = logging.getLogger("crmwh.superset.bootstrap")

# Superset must never write to the warehouse: DuckDB allows one writer, and the build publishes a new file by
# atomic replace. read_only also lets any number of Superset connections share the file. The connection's
# configuration keeps every role away from server files (settings.DUCKDB_CONNECT_CONFIG); superset_config's
# connection hook enforces the same on every connection, whatever this extra is edited into.
WAREHOUSE_EXTRA: dict[str, Any] = {
    "engine_params": {"connect_args": settings.duckdb_connect_args()},
    "allows_virtual_table_explore": True,
    "disable_data_preview": False,
}


# Migrations and Superset itself print to stdout; only the progress lines below belong on the console, the rest
# goes to stderr, which serve keeps in var/superset/bootstrap.log.
_CONSOLE = sys.stdout


def _step(name: str, started: float) -> None:
    print(f"  {name} ({time.monotonic() - started:.1f} s)", file=_CONSOLE, flush=True)


def upgrade_metadata() -> None:
    from flask_migrate import upgrade

    upgrade()
    if settings.profile() == "embedded":
        # Password hashes and the encrypted connection: the owner's only (also for a file an older version created).
        metadata = settings.home_dir() / "superset.db"
        if metadata.exists():
            os.chmod(metadata, 0o600)


def register_warehouse() -> None:
    from superset.extensions import db
    from superset.models.core import Database

    database = (
        db.session.query(Database).filter_by(uuid=settings.WAREHOUSE_DATABASE_UUID).one_or_none()
        or db.session.query(Database).filter_by(database_name=settings.WAREHOUSE_DATABASE_NAME).one_or_none()
    )
    if database is None:
        database = Database(database_name=settings.WAREHOUSE_DATABASE_NAME, uuid=settings.WAREHOUSE_DATABASE_UUID)
        db.session.add(database)
    database.uuid = settings.WAREHOUSE_DATABASE_UUID
    database.verbose_name = "CRM 数据仓库"
    database.set_sqlalchemy_uri(settings.warehouse_uri())
    database.extra = json.dumps(WAREHOUSE_EXTRA, sort_keys=True)
    database.expose_in_sqllab = True
    database.allow_run_async = False
    database.allow_dml = False
    database.allow_ctas = False
    database.allow_cvas = False
    database.allow_file_upload = False
    database.impersonate_user = False
    db.session.commit()


def sync_permissions() -> None:
    from superset.extensions import appbuilder, db, security_manager

    appbuilder.add_permissions(update_perms=True)
    security_manager.sync_role_definitions()
    db.session.commit()


def ensure_admin(username: str, password: str) -> None:
    from superset.extensions import db, security_manager
    from werkzeug.security import check_password_hash

    role = security_manager.find_role("Admin")
    if role is None:
        raise SupersetSetupError("Superset has no Admin role after `superset init` (see the log above)")
    user = security_manager.find_user(username=username)
    if user is None:
        created = security_manager.add_user(
            username, "CRM", "Administrator", f"{username}@crmwh.invalid", role, password=password
        )
        if not created:
            raise SupersetSetupError(f"could not create the Superset admin user {username!r} (see the log above)")
        return
    if role not in user.roles:
        user.roles.append(role)
    if not user.active:
        user.active = True
    db.session.commit()
    # The password follows CRMWH_SUPERSET_ADMIN_PASSWORD (or the generated one) on every start.
    if not check_password_hash(user.password, password):
        security_manager.reset_password(user.id, password)


def import_assets(admin: str, started: float) -> None:
    from dashboards import importer, security

    with app_request_context():
        datasets = importer.import_bundle(admin)
        _step(f"assets imported: {len(datasets)} datasets (dashboards/assets/bundle)", started)
        security.configure(datasets)
        mapping = load_branch_map()
        if mapping is None:
            security.refresh_filters()
        else:
            report = security.sync_branch_managers(mapping)
    roles = ", ".join((security.ANALYST, security.BRANCH_MANAGER, security.VIEWER, security.DATA_ENGINEER))
    _step(f"roles {roles} and row-level security ready (fail closed)", started)
    if mapping is not None:
        for line in report.lines():
            print(f"  {line}", file=_CONSOLE, flush=True)


def load_branch_map() -> BranchMap | None:
    """The branch managers' branches from the served warehouse; None when they cannot be read, and then every
    manager keeps the branch they had (none on a first start before a build: they see no rows)."""
    from dashboards import security

    managers = os.environ.get(settings.ENV_BRANCH_MANAGERS, "").strip()
    try:
        return branch_map.load_branch_map(
            settings.warehouse_path(), Path(managers) if managers else None, demo_user=security.DEMO_USER
        )
    except branch_map.BranchMapError as exc:
        print(f"  warning: {exc}; branch managers keep their branches until `crmwh users sync`", file=_CONSOLE,
              flush=True)  # fmt: skip
        return None


def app_request_context() -> Any:
    # The import commands check permissions of flask.g.user, which needs a request context.
    from flask import current_app

    return current_app.test_request_context()


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.stdout = sys.stderr
    try:
        return bootstrap()
    except CrmwhError as exc:  # expected: one line on the console, no traceback
        print(f"bootstrap: {exc}", file=_CONSOLE, flush=True)
        return int(exc.exit_code)


def bootstrap() -> int:
    secrets = settings.load_secrets()
    password = settings.admin_password(secrets)

    from superset.app import create_app

    started = time.monotonic()
    app = create_app()
    _step("Superset app loaded", started)
    with app.app_context():
        upgrade_metadata()
        _step("metadata schema at head (superset db upgrade)", started)
        register_warehouse()
        _step(f"warehouse registered read-only: {settings.warehouse_path()}", started)
        sync_permissions()
        _step("roles and permissions synced (superset init)", started)
        ensure_admin(settings.admin_user(), password)
        _step(f"admin user {settings.admin_user()!r} ready", started)
        import_assets(settings.admin_user(), started)
        load_schedules(started)
    return 0


def load_schedules(started: float) -> None:
    from dashboards import schedules

    if settings.profile() != "production":
        print(
            "  scheduled reports and alerts need the production profile (PostgreSQL, Redis, Celery, Chromium): "
            "`make serve-production` (and `make mailsink` for a local outbox)",
            file=_CONSOLE,
            flush=True,
        )
        return
    specs = schedules.load()
    with app_request_context():
        report = schedules.apply(specs)
    _step(report.line(), started)


if __name__ == "__main__":
    sys.exit(main())
