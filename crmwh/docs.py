"""``crmwh docs``: the documentation sites that are built from the code and the published warehouse."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from crmwh import publish
from crmwh.build import DBT_PROJECT_DIR, BuildError, run_dbt
from crmwh.settings import REPO_ROOT


def write_extract_spec() -> Path:
    from contracts.spec import render_spec

    target = REPO_ROOT / "docs" / "extracts.md"
    target.write_text(render_spec(), encoding="utf-8")
    return target


def build_dbt_docs(served: Path, out_dir: Path) -> Path:
    """``dbt docs generate --static`` (one offline HTML file) against a throw-away copy of the served warehouse.

    The catalog needs a database connection; a copy keeps the served file free for Superset's readers.
    """
    if not served.exists():
        raise BuildError(f"{served} does not exist: run `make build` first")
    with tempfile.TemporaryDirectory(prefix="crmwh-docs-") as tmp:
        copy = Path(tmp) / "warehouse.duckdb"
        publish.copy_file(served, copy)  # the same copy a build makes
        run_dbt(copy, ["docs", "generate", "--static"], quiet=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    index = out_dir / "index.html"
    shutil.copyfile(DBT_PROJECT_DIR / "target" / "static_index.html", index)
    return index


def build_quality_docs(served: Path, out_dir: Path) -> Path:
    from expectations.runner import build_data_docs

    return build_data_docs(served, out_dir)
