"""The warehouse output of dbt_project/profiles.yml, opened the way dbt-duckdb opens it.

A full build at scale 1 failed once DuckDB had spilled to its temporary directory: dbt-duckdb runs every entry of
`settings` as a `SET` on each new cursor (one per dbt thread and node), and DuckDB refuses to switch
`temp_directory` after it has been used ("Cannot switch temporary directory after the current one has been used"),
so every node after the first spill failed. Database-wide settings belong in `config_options`, applied once when the
database is opened.
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest
import yaml
from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.environments.local import LocalEnvironment

PROFILES = Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml"


def _warehouse_output(env: dict[str, str]) -> dict[str, object]:
    """The `warehouse` output with its `env_var()` calls rendered from ``env`` (as dbt renders them)."""

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is None:
            raise KeyError(name)
        return default

    jinja = jinja2.Environment()
    jinja.filters["as_number"] = lambda value: int(value)
    raw = yaml.safe_load(PROFILES.read_text(encoding="utf-8"))["crmwh"]["outputs"]["warehouse"]

    def render(value: object) -> object:
        if isinstance(value, dict):
            return {k: render(v) for k, v in value.items()}
        if isinstance(value, str):
            return jinja.from_string(value).render(env_var=env_var)
        return value

    return render(raw)  # type: ignore[return-value]


def test_a_new_cursor_after_a_spill_still_opens(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    output = _warehouse_output({**os.environ, "CRMWH_DBT_DATABASE": str(database),
                                "CRMWH_DUCKDB_MEMORY_LIMIT": "40MB", "CRMWH_DUCKDB_THREADS": "1"})
    credentials = DuckDBCredentials(
        path=str(output["path"]),
        settings=output.get("settings"),  # type: ignore[arg-type]
        config_options=output.get("config_options"),  # type: ignore[arg-type]
    )
    environment = LocalEnvironment(credentials)
    first = environment.handle()
    cursor = first.cursor()
    # a sort of more than the memory limit: DuckDB writes to its temporary directory
    cursor.execute("create table spilled as select range as n, md5(range::varchar) as h from range(3000000) order by h")
    assert Path(f"{database}.tmp").is_dir(), "the query did not spill; the test proves nothing"
    second = environment.handle()  # what dbt does for the next node
    assert second.cursor().execute("select count(*) from spilled").fetchone() == (3_000_000,)
    settings = dict(second.cursor().execute(
        "select name, value from duckdb_settings() where name in ('memory_limit', 'threads')").fetchall())
    assert settings["threads"] == "1"
    assert settings["memory_limit"].startswith(("38", "40", "41")), settings["memory_limit"]
    first.close()
    second.close()


@pytest.mark.parametrize("key", ["threads", "memory_limit", "temp_directory"])
def test_database_wide_settings_are_set_once_when_the_database_opens(key: str) -> None:
    output = _warehouse_output({"CRMWH_DBT_DATABASE": "/tmp/x.duckdb"})
    assert key in (output.get("config_options") or {})
    assert key not in (output.get("settings") or {})
