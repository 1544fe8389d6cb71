"""Roles, row-level security and the demo branch manager (runs inside Superset's app context, from bootstrap).

* 分析师 (analyst): every dashboard, chart and dataset of the warehouse, all branches. Deliberately no
  ``database_access``: it would open every schema of the warehouse in SQL Lab, ``restricted_pii`` included.
* 支行行长 (branch manager): the same dashboards, no SQL Lab; each manager also holds a role ``支行行长:<code>``
  that carries a row-level-security filter limiting every branch-sliced dataset to the subtree of branch
  ``<code>`` (the clause matches the code at any level of the hierarchy: 分行, 支行 or 网点). Datasets without a
  branch (data quality) are not granted to branch managers.
* 查看者 (viewer): read dashboards and their charts only; no SQL Lab, no saving.

The demo branch manager (``CRMWH_SUPERSET_DEMO_BRANCH``, default the first 支行 of the warehouse) logs in as
``branch_manager`` with a password generated into the same secrets file as the admin's.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from dashboards import settings

log = logging.getLogger("crmwh.superset.security")

ANALYST = "分析师"
BRANCH_MANAGER = "支行行长"
VIEWER = "查看者"
DEMO_USER = "branch_manager"
ENV_DEMO_BRANCH = "CRMWH_SUPERSET_DEMO_BRANCH"
SECRET_KEY_DEMO = "branch_manager_password"

# Permissions a viewer must not have (Gamma's otherwise): writing, SQL Lab, exporting data.
_WRITE_PERMS = ("can_write", "can_add", "can_edit", "can_delete", "can_save", "can_csv", "can_export")
_SQL_LAB = ("SQL Lab", "SQLLab", "Query", "SavedQuery", "TabStateView", "TableSchemaView", "can_sqllab")


def branch_clause(branch_code: str) -> str:
    code = branch_code.replace("'", "''")
    return f"(region_code = '{code}' OR level3_branch_code = '{code}' OR sub_branch_code = '{code}')"


def demo_password() -> str:
    """The branch manager's password, generated once into the secrets file (kept 0600) beside the admin's."""
    path: Path = settings.secrets_file()
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if not data.get(SECRET_KEY_DEMO):
        data[SECRET_KEY_DEMO] = secrets.token_urlsafe(12)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
        # Printed once, on the console (bootstrap sends stdout to its log), like the admin password.
        print(
            f"  demo user {DEMO_USER!r} password: {data[SECRET_KEY_DEMO]} (stored in {path})",
            file=sys.__stdout__,
            flush=True,
        )
    return str(data[SECRET_KEY_DEMO])


def demo_branch() -> str | None:
    configured = os.environ.get(ENV_DEMO_BRANCH, "").strip()
    if configured:
        return configured
    import duckdb

    try:
        con = duckdb.connect(str(settings.warehouse_path()), read_only=True)
    except duckdb.Error as exc:
        log.warning("no demo branch: the warehouse cannot be opened (%s)", exc)
        return None
    try:
        row = con.execute("SELECT min(branch_code) FROM marts.dim_branch WHERE branch_level_code = 'BRANCH'").fetchone()
    except duckdb.Error as exc:
        log.warning("no demo branch: marts.dim_branch is not readable (%s)", exc)
        return None
    finally:
        con.close()
    return str(row[0]) if row and row[0] else None


def _role(name: str) -> Any:
    from superset.extensions import security_manager

    return security_manager.find_role(name) or security_manager.add_role(name)


def _set_permissions(role: Any, permissions: list[Any]) -> None:
    from superset.extensions import db

    role.permissions = sorted(set(permissions), key=lambda p: p.id)
    db.session.commit()


def configure(datasets: list[Any], admin_user: str) -> str | None:
    """Roles, RLS filters and the demo user; returns the demo branch (None when the warehouse has none)."""
    from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable
    from superset.extensions import db, security_manager

    gamma = security_manager.find_role("Gamma")
    sql_lab = security_manager.find_role("sql_lab")
    base = list(gamma.permissions) if gamma else []
    access = [security_manager.add_permission_view_menu("datasource_access", dataset.perm) for dataset in datasets]
    branch_datasets = [d for d in datasets if any(c.column_name == "level3_branch_code" for c in d.columns)]
    branch_access = [
        security_manager.add_permission_view_menu("datasource_access", dataset.perm) for dataset in branch_datasets
    ]

    _set_permissions(_role(ANALYST), base + (list(sql_lab.permissions) if sql_lab else []) + access)
    _set_permissions(_role(BRANCH_MANAGER), base + branch_access)

    def read_only(pv: Any) -> bool:
        return pv.permission.name not in _WRITE_PERMS and not any(s in pv.view_menu.name for s in _SQL_LAB)

    _set_permissions(_role(VIEWER), [pv for pv in base if read_only(pv)] + access)

    branch = demo_branch()
    if branch is None:
        return None
    scoped = _role(f"{BRANCH_MANAGER}:{branch}")
    name = f"crmwh branch subtree {branch}"
    rls = db.session.query(RowLevelSecurityFilter).filter_by(name=name).one_or_none()
    if rls is None:
        rls = RowLevelSecurityFilter(name=name)
        db.session.add(rls)
    rls.filter_type = "Regular"
    rls.group_key = "branch"
    rls.clause = branch_clause(branch)
    rls.description = f"{BRANCH_MANAGER} {branch}: only the subtree of branch {branch}"
    rls.roles = [scoped]
    rls.tables = [db.session.query(SqlaTable).get(d.id) for d in branch_datasets]
    db.session.commit()

    password = demo_password()
    roles = [_role(BRANCH_MANAGER), scoped]
    user = security_manager.find_user(username=DEMO_USER)
    if user is None:
        user = security_manager.add_user(
            DEMO_USER, "支行", "行长", f"{DEMO_USER}@crmwh.invalid", roles, password=password
        )
        if not user:
            raise RuntimeError(f"could not create the demo user {DEMO_USER!r}")
    else:
        user.roles = roles
        user.active = True
        db.session.commit()
        from werkzeug.security import check_password_hash

        if not check_password_hash(user.password, password):
            security_manager.reset_password(user.id, password)
    return branch
