"""Superset's security manager for the warehouse (``CUSTOM_SECURITY_MANAGER`` in superset_config.py).

On top of Superset's own checks:

* **Served schemas only, except for the data engineer.** Every role but 数据工程师 (Admin included) is refused any
  statement, virtual dataset or physical dataset that reaches outside ``settings.SERVED_SCHEMAS`` (see
  ``dashboards.sql_guard``): ``raw``, ``audit`` and ``restricted_pii`` are neither queried nor listed.
* **Failed logins are rate limited** per client address, on the login form and on the REST API
  (``/api/v1/security/login``) alike: after ``AUTH_RATE_LIMIT`` failures even the right password is refused (HTTP 429)
  until the window has passed. Successful logins do not count, so users sharing an address are not locked out by
  each other's normal use.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask.wrappers import Response
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.utils.limit import Limit
from flask_limiter.util import get_remote_address
from superset.errors import ErrorLevel, SupersetError, SupersetErrorType
from superset.exceptions import SupersetSecurityException
from superset.security import SupersetSecurityManager

from dashboards import sql_guard
from dashboards.security import DATA_ENGINEER


def _api_login_failed(response: Response) -> bool:
    return response.status_code != 200


def _form_login_failed(response: Response) -> bool:
    # The login form answers a failure by sending the browser back to the login page.
    return response.status_code not in (302, 303) or "/login" in response.headers.get("Location", "/login")


def _auth_limit() -> str:
    return str(current_app.config["AUTH_RATE_LIMIT"])


def _auth_not_limited() -> bool:
    return not current_app.config["AUTH_RATE_LIMITED"]


class RateLimitedSecurityApi(SecurityApi):
    """FAB's ``/api/v1/security/login``, with the same failed-login limit as the form (FAB limits only the form)."""

    limits = [  # noqa: RUF012 (FAB reads the class attribute)
        Limit(
            limit_value=_auth_limit,
            key_func=get_remote_address,
            methods=("POST",),
            exempt_when=_auth_not_limited,
            deduct_when=_api_login_failed,
        )
    ]


class CrmwhSecurityManager(SupersetSecurityManager):
    security_api = RateLimitedSecurityApi

    @property
    def is_auth_limited(self) -> bool:
        # FAB and Superset would count every POST to the login form; register_views counts failures only.
        return False

    def register_views(self) -> None:
        super().register_views()
        if current_app.config["AUTH_RATE_LIMITED"] and getattr(self.auth_view, "blueprint", None) is not None:
            self.limiter.limit(_auth_limit, methods=["POST"], deduct_when=_form_login_failed)(self.auth_view.blueprint)

    def is_data_engineer(self) -> bool:
        user = getattr(g, "user", None)
        if user is None or user.is_anonymous:
            return False
        return any(role.name == DATA_ENGINEER for role in self.get_user_roles(user))

    def raise_for_access(  # Superset's signature, keyword by keyword
        self,
        dashboard: Any = None,
        chart: Any = None,
        database: Any = None,
        datasource: Any = None,
        query: Any = None,
        query_context: Any = None,
        table: Any = None,
        viz: Any = None,
        sql: str | None = None,
        catalog: str | None = None,
        schema: str | None = None,
        template_params: dict[str, Any] | None = None,
    ) -> None:
        kwargs = {
            "dashboard": dashboard, "chart": chart, "database": database, "datasource": datasource, "query": query,
            "query_context": query_context, "table": table, "viz": viz, "sql": sql, "catalog": catalog,
            "schema": schema, "template_params": template_params,
        }  # fmt: skip
        if not self.is_data_engineer():
            reason = _served_only(**kwargs)
            if reason:
                raise SupersetSecurityException(
                    SupersetError(
                        error_type=SupersetErrorType.TABLE_SECURITY_ACCESS_ERROR,
                        message=f"访问被拒绝 (access denied): {reason}",
                        level=ErrorLevel.ERROR,
                    )
                )
        super().raise_for_access(**kwargs)

    def get_schemas_accessible_by_user(
        self, database: Any, catalog: str | None, schemas: set[str], hierarchical: bool = True
    ) -> set[str]:
        accessible = super().get_schemas_accessible_by_user(database, catalog, schemas, hierarchical)
        if self.is_data_engineer():
            return accessible
        return {schema for schema in accessible if sql_guard.schema_served(schema)}

    def get_datasources_accessible_by_user(
        self, database: Any, datasource_names: list[Any], catalog: str | None = None, schema: str | None = None
    ) -> list[Any]:
        accessible = super().get_datasources_accessible_by_user(database, datasource_names, catalog, schema)
        if self.is_data_engineer():
            return accessible
        return [name for name in accessible if sql_guard.schema_served(getattr(name, "schema", None) or schema)]


def _served_only(
    *,
    database: Any = None,
    datasource: Any = None,
    query: Any = None,
    query_context: Any = None,
    table: Any = None,
    viz: Any = None,
    sql: str | None = None,
    **_others: Any,
) -> str | None:
    """Why the resource reaches outside the served schemas (None when it does not). Superset calls
    ``raise_for_access`` with one kind of resource at a time: SQL text, a SQL Lab query, a table, or a dataset
    (directly, or through a chart's query context or viz)."""
    if sql and database is not None:
        return sql_guard.refusal(sql, not database.allow_dml)
    if query is not None and isinstance(getattr(query, "sql", None), str):
        database = getattr(query, "database", None)
        return sql_guard.refusal(query.sql, database is not None and not database.allow_dml)
    if table is not None and not sql_guard.schema_served(getattr(table, "schema", None)):
        return f"schema {table.schema!r} is reserved for the data-engineer role"
    if query_context is not None:
        datasource = query_context.datasource
    elif viz is not None:
        datasource = viz.datasource
    if datasource is not None:
        schema = getattr(datasource, "schema", None)
        if not sql_guard.schema_served(schema):
            return f"schema {schema!r} is reserved for the data-engineer role"
        virtual_sql = getattr(datasource, "sql", None)
        if isinstance(virtual_sql, str) and virtual_sql.strip():
            return sql_guard.refusal(virtual_sql)
    return None
