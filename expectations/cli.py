"""Command-line entry points `validate` and `quality-docs`: click commands the `crmwh` group can add as they are.

    python -m expectations validate [--warehouse FILE] [--stage raw|marts] [--batch ID] [--all-deliveries] ...
    python -m expectations quality-docs [--warehouse FILE] [--out DIR]

``validate`` exits 1 when a critical expectation failed (naming it), 2 when validation could not run.
"""

from __future__ import annotations

from pathlib import Path

import click

from crmwh import settings
from expectations.config import QualityConfigError
from expectations.data_docs import DataDocsError, build_data_docs
from expectations.model import STAGES

DEFAULT_DOCS_DIR = settings.VAR_DIR / "docs" / "data-quality"

_warehouse_option = click.option(
    "--warehouse", type=click.Path(path_type=Path), default=None,
    help="DuckDB file [default: CRMWH_WAREHOUSE or var/warehouse/crmwh.duckdb].",
)


@click.command()
@_warehouse_option
@click.option("--stage", "stages", multiple=True, type=click.Choice(STAGES), help="Only this stage (repeatable).")
@click.option("--batch", "batch_ids", multiple=True, type=int,
              help="Validate these deliveries (batch ids, repeatable) [default: those not validated yet].")
@click.option("--all-deliveries", is_flag=True, help="Validate every LOADED delivery again.")
@click.option("--suite", "suites", multiple=True, help="Only this suite, e.g. raw.core__accounts (repeatable).")
@click.option("--no-record", is_flag=True, help="Do not append the results to the quality tables of the warehouse.")
@click.option("--docs", "docs_dir", type=click.Path(path_type=Path), default=None,
              help="Also render Data Docs of this run into DIR.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def validate(warehouse: Path | None, stages: tuple[str, ...], batch_ids: tuple[int, ...], all_deliveries: bool,
             suites: tuple[str, ...], no_record: bool, docs_dir: Path | None, quiet: bool) -> None:
    """Run the data-quality suites (Great Expectations, in DuckDB) and record the results in the warehouse.

    Exits 1 when a critical expectation failed: the warehouse must not be published.
    """
    from expectations.runner import ValidationError, loaded_batch_ids, run_validation  # GX: seconds to import

    path = settings.warehouse_path(warehouse)
    try:
        ids: list[int] | None = list(batch_ids) or None
        if all_deliveries:
            ids = loaded_batch_ids(path)
        report = run_validation(
            path, stages=stages or STAGES, batch_ids=ids, record=not no_record, docs_dir=docs_dir,
            suites=list(suites) or None, progress=not quiet,
        )
    except (ValidationError, QualityConfigError, DataDocsError) as exc:
        click.echo(f"validate: {exc}", err=True)
        raise SystemExit(2) from exc
    click.echo(report.summary())
    if not report.passed:
        raise SystemExit(1)


@click.command("quality-docs")
@_warehouse_option
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help=f"Site folder, replaced on every build [default: {DEFAULT_DOCS_DIR}].")
def quality_docs(warehouse: Path | None, out: Path | None) -> None:
    """Build the Data Docs site (static, works offline) of the warehouse; writes nothing to the warehouse."""
    from expectations.runner import ValidationError  # GX: seconds to import

    try:
        index = build_data_docs(settings.warehouse_path(warehouse), (out or DEFAULT_DOCS_DIR).resolve())
    except (ValidationError, QualityConfigError, DataDocsError) as exc:
        click.echo(f"quality-docs: {exc}", err=True)
        raise SystemExit(2) from exc
    click.echo(f"Data Docs: {index}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Data quality of the crmwh warehouse (Great Expectations)."""


main.add_command(validate)
main.add_command(quality_docs)
