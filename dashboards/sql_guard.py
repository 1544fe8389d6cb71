"""Which SQL a Superset user without the data-engineer role may run on the warehouse (inside Superset only).

DuckDB has no per-schema privileges: whoever opens the file can read every schema in it. So Superset's security
manager (``dashboards.security_manager``) asks :func:`refusal` about every statement a user sends (SQL Lab, virtual
datasets, explored queries) and about every dataset's schema. The rule is an allow list, so that anything this module
does not understand is refused, never let through:

* each statement is a query (``SELECT``, ``FROM …``, ``WITH …``, set operations): no ``USE``, ``SET``, ``PRAGMA``,
  ``SUMMARIZE``, ``PIVOT``, ``DESCRIBE``, ``COPY``, ``ATTACH`` …;
* every table it names lives in a served schema (``settings.SERVED_SCHEMAS``); an unqualified name means ``main``,
  where DuckDB looks it up whatever schema SQL Lab shows as selected (DuckDB connections have no dynamic schema);
* no table function but ``range`` / ``generate_series`` (``query_table('raw.x')``, ``query('…')``, ``read_csv``,
  ``glob`` … are refused; the connection's configuration refuses file access again underneath).

Text that does not parse is refused.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

from dashboards import settings

DIALECT = "duckdb"
DEFAULT_SCHEMA = "main"


def schema_served(schema: str | None) -> bool:
    """Whether a schema, bare or as Superset lists DuckDB's (``catalog.schema``), is served to every role."""
    # DuckDB matches identifiers case-insensitively, quoted or not.
    return (schema or DEFAULT_SCHEMA).rsplit(".", 1)[-1].lower() in settings.SERVED_SCHEMAS


# What Superset itself calls a mutation (superset.sql.parse.SQLStatement.is_mutating) and refuses on a database without
# allow_dml, with its own error.
MUTATIONS = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.TruncateTable, exp.Alter)


@lru_cache(maxsize=512)
def refusal(sql: str, dml_refused_later: bool = False) -> str | None:
    """Why ``sql`` may not run for a user without the data-engineer role, or None when it may.

    ``dml_refused_later``: the database does not allow DML, so Superset refuses a mutating statement itself after
    this check (DML_NOT_ALLOWED_ERROR); such statements are left to it.
    """
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        return f"the query could not be checked ({str(exc).splitlines()[0][:200]})"
    for statement in statements:
        if dml_refused_later and any(statement.find(kind) for kind in MUTATIONS):
            continue
        reason = _statement_refusal(statement)
        if reason:
            return reason
    return None


def _statement_refusal(statement: exp.Expression) -> str | None:
    if not isinstance(statement, exp.Query):
        return f"only queries may run here, not {statement.key.upper()} statements"
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    for table in statement.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            if isinstance(table.this, exp.GenerateSeries):  # range() / generate_series(): numbers, no data
                continue
            if isinstance(table.this, exp.Func):
                name = table.this.sql(dialect=DIALECT).split("(")[0].lower()
                return f"table functions such as {name}() are reserved for the data-engineer role"
            return f"the table reference {table.sql(dialect=DIALECT)!r} is not understood"
        if not table.db and not table.catalog and table.name.lower() in ctes:
            continue
        if not schema_served(table.db):
            return (
                f"schema {table.db!r} is reserved for the data-engineer role "
                f"(served schemas: {', '.join(sorted(settings.SERVED_SCHEMAS))})"
            )
    return None
