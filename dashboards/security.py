"""Roles, row-level security and branch managers (runs inside Superset's app context: bootstrap, users sync).

* 分析师 (analyst): every dashboard, chart and dataset of the warehouse, all branches, drill to detail. No
  ``database_access``: SQL Lab refuses them the warehouse.
* 支行行长 (branch manager): the branch-sliced datasets only (not data quality), drill to detail, no SQL Lab; rows
  limited to one branch subtree by row-level security, **fail closed**: a base filter ``1 = 0`` covers every
  branch-sliced dataset for every role except Admin, 分析师, 查看者 and 数据工程师, and a manager's scope role
  ``支行行长:<code>`` adds, in the same filter group (Superset ORs a group), the subtree of branch ``<code>`` (the
  clause matches the code at any level: 分行, 支行 or 网点). Holding 支行行长 without a scope role -- or any role that
  is not exempt -- gives no rows. Scope roles are maintained from the warehouse by :func:`sync_branch_managers`
  (``crmwh users sync`` and every start), see ``dashboards.branch_map``.
* 客户经理 (relationship manager): the datasets with both the branch hierarchy and an ``rm_id`` column (the RM's own
  book: the customer AUM drop alert, the RM scorecard), no SQL Lab; rows limited to their own ``rm_id`` by the same
  fail-closed filter group: a user holding 客户经理 whose user name is the staff id of an active RM gets the scope
  role ``客户经理:<rm_id>`` adding ``rm_id = '<rm_id>'``; any other 客户经理 user sees no rows. Scope roles are
  maintained with the branch managers' (:func:`sync_relationship_managers`). Their e-mail is the one set on the user:
  the RM alert of ``dashboards/reports/`` mails it.
* 查看者 (viewer): read dashboards and their charts only; no SQL Lab, no saving, no export.
* 数据工程师 (data engineer): everything the analyst has, plus SQL Lab over the whole warehouse -- the only role that
  reaches the ``raw``, ``audit`` and ``restricted_pii`` schemas (``dashboards.security_manager``); no Superset
  role, Admin included, reads or writes server files (the DuckDB connection's configuration forbids it).

The demo branch manager logs in as ``branch_manager`` with a password generated into the secrets file.
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
from dashboards.branch_map import BranchMap, SyncReport
from dashboards.errors import SupersetSetupError

log = logging.getLogger("crmwh.superset.security")

ADMIN = "Admin"
ANALYST = "分析师"
BRANCH_MANAGER = "支行行长"
VIEWER = "查看者"
DATA_ENGINEER = "数据工程师"
# Roles that see every branch: the fail-closed base filter exempts exactly these.
ALL_BRANCHES = (ADMIN, ANALYST, VIEWER, DATA_ENGINEER)
SCOPE_PREFIX = f"{BRANCH_MANAGER}:"
RELATIONSHIP_MANAGER = "客户经理"
RM_SCOPE_PREFIX = f"{RELATIONSHIP_MANAGER}:"
RM_COLUMN = "rm_id"
RLS_RM_SCOPE_PREFIX = "crmwh RM book "
DEMO_USER = "branch_manager"
SECRET_KEY_DEMO = "branch_manager_password"
BRANCH_COLUMN = "level3_branch_code"
RLS_GROUP = "branch"
RLS_NONE = "crmwh: no branch, no rows"
RLS_SCOPE_PREFIX = "crmwh branch subtree "

# Permissions a viewer must not have (Gamma's otherwise): writing, SQL Lab, exporting data.
_WRITE_PERMS = ("can_write", "can_add", "can_edit", "can_delete", "can_save", "can_csv", "can_export")
_SQL_LAB = ("SQL Lab", "SQLLab", "Query", "SavedQuery", "TabStateView", "TableSchemaView", "can_sqllab")


def branch_clause(branch_code: str) -> str:
    code = branch_code.replace("'", "''")
    return f"(region_code = '{code}' OR level3_branch_code = '{code}' OR sub_branch_code = '{code}')"


def rm_clause(rm_id: str) -> str:
    quoted = rm_id.replace("'", "''")
    return f"({RM_COLUMN} = '{quoted}')"


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


def _role(name: str) -> Any:
    from superset.extensions import security_manager

    return security_manager.find_role(name) or security_manager.add_role(name)


def _set_permissions(role: Any, permissions: list[Any]) -> None:
    from superset.extensions import db

    role.permissions = sorted({p for p in permissions if p is not None}, key=lambda p: p.id)
    db.session.commit()


def _warehouse_database() -> Any:
    from superset.extensions import db
    from superset.models.core import Database

    return db.session.query(Database).filter_by(uuid=settings.WAREHOUSE_DATABASE_UUID).one_or_none()


def branch_datasets() -> list[Any]:
    """Every dataset with the branch hierarchy (the bundle's and any made later by hand)."""
    from superset.connectors.sqla.models import SqlaTable
    from superset.extensions import db

    tables = db.session.query(SqlaTable).order_by(SqlaTable.id).all()
    return [t for t in tables if any(c.column_name == BRANCH_COLUMN for c in t.columns)]


def configure(datasets: list[Any]) -> None:
    """The four roles, their permissions, the fail-closed filter and the demo user (without a branch yet)."""
    from superset.extensions import security_manager

    gamma = security_manager.find_role("Gamma")
    sql_lab = security_manager.find_role("sql_lab")
    base = list(gamma.permissions) if gamma else []
    sql_lab_perms = list(sql_lab.permissions) if sql_lab else []
    access = [security_manager.add_permission_view_menu("datasource_access", dataset.perm) for dataset in datasets]
    branch_access = [
        security_manager.add_permission_view_menu("datasource_access", dataset.perm)
        for dataset in datasets
        if any(c.column_name == BRANCH_COLUMN for c in dataset.columns)
    ]
    # Drill to detail (the DRILL_TO_DETAIL feature) asks /datasource/samples, which Gamma cannot; RLS applies to it.
    samples = security_manager.add_permission_view_menu("can_samples", "Datasource")
    database = _warehouse_database()
    whole_warehouse = (
        [security_manager.add_permission_view_menu("database_access", database.perm)] if database is not None else []
    )

    _set_permissions(_role(ANALYST), base + sql_lab_perms + access + [samples])
    _set_permissions(_role(BRANCH_MANAGER), base + branch_access + [samples])
    rm_access = [
        security_manager.add_permission_view_menu("datasource_access", dataset.perm)
        for dataset in rm_datasets(datasets)
    ]
    _set_permissions(_role(RELATIONSHIP_MANAGER), base + rm_access + [samples])

    def read_only(pv: Any) -> bool:
        return pv.permission.name not in _WRITE_PERMS and not any(s in pv.view_menu.name for s in _SQL_LAB)

    _set_permissions(_role(VIEWER), [pv for pv in base if read_only(pv)] + access)
    _set_permissions(_role(DATA_ENGINEER), base + sql_lab_perms + access + [samples] + whole_warehouse)
    _ensure_demo_user()


def _ensure_demo_user() -> None:
    from superset.extensions import db, security_manager
    from werkzeug.security import check_password_hash

    password = demo_password()
    user = security_manager.find_user(username=DEMO_USER)
    if user is None:
        user = security_manager.add_user(
            DEMO_USER, "支行", "行长", f"{DEMO_USER}@crmwh.invalid", [_role(BRANCH_MANAGER)], password=password
        )
        if not user:
            raise SupersetSetupError(f"could not create the demo user {DEMO_USER!r} (see the log above)")
        return
    if not any(role.name == BRANCH_MANAGER for role in user.roles):
        user.roles = [*user.roles, _role(BRANCH_MANAGER)]
    user.active = True
    db.session.commit()
    if not check_password_hash(user.password, password):
        security_manager.reset_password(user.id, password)


def rm_datasets(datasets: list[Any]) -> list[Any]:
    """The datasets an RM reads: branch-sliced (so the fail-closed filter covers them) and with an ``rm_id``."""
    names = ({c.column_name for c in d.columns} for d in datasets)
    return [d for d, cols in zip(datasets, names, strict=True) if BRANCH_COLUMN in cols and RM_COLUMN in cols]


def refresh_filters() -> list[Any]:
    """The fail-closed base filter, and every existing scope filter, over today's branch-sliced datasets; returns
    them. Changes no user's roles (what bootstrap does when the warehouse cannot say who manages which branch)."""
    from superset.connectors.sqla.models import RowLevelSecurityFilter
    from superset.extensions import db
    from superset.utils.core import RowLevelSecurityFilterType

    tables = branch_datasets()
    _filter(RLS_NONE, RowLevelSecurityFilterType.BASE, "1 = 0", [_role(name) for name in ALL_BRANCHES], tables,
            f"fail closed: {BRANCH_MANAGER} and every other role but {', '.join(ALL_BRANCHES)} see no branch "
            "unless a scope role adds one")  # fmt: skip
    for rls in db.session.query(RowLevelSecurityFilter).all():
        if rls.name.startswith(RLS_SCOPE_PREFIX) and {t.id for t in rls.tables} != {t.id for t in tables}:
            rls.tables = tables
    db.session.commit()
    return tables


def sync_branch_managers(branch_map: BranchMap) -> SyncReport:
    """Give every 支行行长 user the scope role of their branch and nothing else (none when the map has no branch for
    them), after :func:`refresh_filters`; deletes the scope roles and filters no user needs any more. Running it
    twice changes nothing."""
    from superset.extensions import db, security_manager
    from superset.utils.core import RowLevelSecurityFilterType

    assignments = branch_map.assignments
    tables = refresh_filters()
    user_model = security_manager.user_model
    managers, mapped, unmapped = set(), [], []
    scopes: dict[str, Any] = {}
    for user in db.session.query(user_model).order_by(user_model.username).all():
        others = [r for r in user.roles if not r.name.startswith(SCOPE_PREFIX)]
        if not any(r.name == BRANCH_MANAGER for r in user.roles):
            if len(others) != len(user.roles):
                user.roles = others
            continue
        managers.add(user.username)
        assignment = assignments.get(user.username)
        if assignment is None:
            unmapped.append(user.username)
            wanted = others
        else:
            mapped.append(assignment)
            code = assignment.branch.code
            if code not in scopes:
                scopes[code] = _role(f"{SCOPE_PREFIX}{code}")
                _filter(f"{RLS_SCOPE_PREFIX}{code}", RowLevelSecurityFilterType.REGULAR, branch_clause(code),
                        [scopes[code]], tables,
                        f"{BRANCH_MANAGER} {code} {assignment.branch.name}: the subtree of this branch")  # fmt: skip
            wanted = [*others, scopes[code]]
        if {r.id for r in wanted} != {r.id for r in user.roles}:
            user.roles = wanted
    db.session.commit()
    _drop_unused_scopes(set(scopes))
    rms_mapped, rms_unmapped = sync_relationship_managers(branch_map.active_rms, tables)

    return SyncReport(
        mapped=mapped,
        unmapped=unmapped,
        rejected=list(branch_map.rejected),
        not_managers=sorted(branch_map.from_file - managers),
        rms_mapped=rms_mapped,
        rms_unmapped=rms_unmapped,
    )


def sync_relationship_managers(active_rms: set[str], tables: list[Any]) -> tuple[list[str], list[str]]:
    """Give every 客户经理 user named after an active RM the scope role of their own book (and no other scope), the
    others none; deletes the RM scope roles and filters no user needs. Returns (mapped, unmapped) user names."""
    from superset.connectors.sqla.models import RowLevelSecurityFilter
    from superset.extensions import db, security_manager
    from superset.utils.core import RowLevelSecurityFilterType

    rm_tables = rm_datasets(tables)
    user_model = security_manager.user_model
    mapped, unmapped, used = [], [], set()
    for user in db.session.query(user_model).order_by(user_model.username).all():
        others = [r for r in user.roles if not r.name.startswith(RM_SCOPE_PREFIX)]
        if not any(r.name == RELATIONSHIP_MANAGER for r in user.roles):
            if len(others) != len(user.roles):
                user.roles = others
            continue
        rm_id = user.username
        if rm_id not in active_rms:
            unmapped.append(rm_id)
            wanted = others
        else:
            mapped.append(rm_id)
            used.add(rm_id)
            scope = _role(f"{RM_SCOPE_PREFIX}{rm_id}")
            _filter(f"{RLS_RM_SCOPE_PREFIX}{rm_id}", RowLevelSecurityFilterType.REGULAR, rm_clause(rm_id), [scope],
                    rm_tables, f"{RELATIONSHIP_MANAGER} {rm_id}: the RM's own customers")  # fmt: skip
            wanted = [*others, scope]
        if {r.id for r in wanted} != {r.id for r in user.roles}:
            user.roles = wanted
    db.session.commit()
    for rls in db.session.query(RowLevelSecurityFilter).all():
        if rls.name.startswith(RLS_RM_SCOPE_PREFIX) and rls.name.removeprefix(RLS_RM_SCOPE_PREFIX) not in used:
            db.session.delete(rls)
    for role in list(security_manager.get_all_roles()):
        if role.name.startswith(RM_SCOPE_PREFIX) and role.name.removeprefix(RM_SCOPE_PREFIX) not in used:
            db.session.delete(role)
    db.session.commit()
    return mapped, unmapped



def _filter(name: str, kind: Any, clause: str, roles: list[Any], tables: list[Any], description: str) -> None:
    from superset.connectors.sqla.models import RowLevelSecurityFilter
    from superset.extensions import db

    rls = db.session.query(RowLevelSecurityFilter).filter_by(name=name).one_or_none()
    if rls is None:
        rls = RowLevelSecurityFilter(name=name)
        db.session.add(rls)
    rls.filter_type = kind
    rls.group_key = RLS_GROUP
    rls.clause = clause
    rls.description = description
    if {r.id for r in rls.roles} != {r.id for r in roles}:
        rls.roles = roles
    if {t.id for t in rls.tables} != {t.id for t in tables}:
        rls.tables = tables
    db.session.commit()


def _drop_unused_scopes(used: set[str]) -> None:
    from superset.connectors.sqla.models import RowLevelSecurityFilter
    from superset.extensions import db, security_manager

    for rls in db.session.query(RowLevelSecurityFilter).all():
        if rls.name.startswith(RLS_SCOPE_PREFIX) and rls.name.removeprefix(RLS_SCOPE_PREFIX) not in used:
            db.session.delete(rls)
    for role in list(security_manager.get_all_roles()):
        if role.name.startswith(SCOPE_PREFIX) and role.name.removeprefix(SCOPE_PREFIX) not in used:
            db.session.delete(role)
    db.session.commit()
