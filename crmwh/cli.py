"""``crmwh``: one command per pipeline step. Run ``crmwh --help`` for the list."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from pathlib import Path

import click

from crmwh import __version__, settings


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD or YYYYMMDD)")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crmwh")
def cli() -> None:
    """Analytical CRM data warehouse for commercial banks.

    \b
    Steps, in the order `make demo` runs them:
      generate   write a synthetic bank's daily deliveries into a landing area
      ingest     load new deliveries into the raw layer of the DuckDB warehouse
      build      ingest → dbt build → validate → publish the warehouse atomically
      validate   data-quality suites (Great Expectations) on the warehouse
      quality-docs  the offline Data Docs site of the data-quality results
      serve      Apache Superset over the published warehouse on 127.0.0.1:8088
      contracts  print or write the human-readable extract specification
      docs       extract spec, dbt docs (static) and Data Docs of the published warehouse

    Paths come from flags, else CRMWH_LANDING / CRMWH_WAREHOUSE, else defaults under var/ in the repository.
    """


@cli.command()
@click.option("--scale", type=float, default=0.01, show_default=True,
              help="Size of the bank: 1 = 100,000 customers (about 5 % corporate).")
@click.option("--start", "start", callback=_parse_date, default="2025-01-01", show_default=True,
              help="First business date.")
@click.option("--days", type=click.IntRange(min=1), default=365, show_default=True, help="Business dates to deliver.")
@click.option("--seed", type=int, default=20260101, show_default=True, help="Random seed; same seed, same bank.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Landing area to write into [default: CRMWH_LANDING or var/landing].")
@click.option("--defect", "defects", multiple=True, metavar="KIND[:SYSTEM[:YYYYMMDD]]",
              help="Inject a defect for testing (repeatable); `--defect list` shows the kinds.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def generate(scale: float, start: date, days: int, seed: int, out: Path | None, defects: tuple[str, ...],
             quiet: bool) -> None:
    """Write a synthetic bank's deliveries, exactly per the extract contracts, plus a manifest of true totals."""
    from synth import defects as defect_mod
    from synth.bank import generate_bank

    if "list" in defects:
        for kind, text in defect_mod.DEFECT_KINDS.items():
            click.echo(f"{kind:24} {text}")
        return
    target = settings.landing_dir(out)
    try:
        parsed = [defect_mod.parse_defect(d) for d in defects]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--defect") from exc
    try:
        manifest = generate_bank(scale=scale, start=start, days=days, seed=seed, out=target, defects=parsed,
                                 progress=not quiet)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {manifest.summary()} into {target}")


@cli.command()
@click.argument("landing", required=False, type=click.Path(path_type=Path))
@click.option("--warehouse", type=click.Path(path_type=Path), default=None,
              help="DuckDB file [default: CRMWH_WAREHOUSE or var/warehouse/crmwh.duckdb].")
@click.option("--reload", "reload_", is_flag=True,
              help="Replace deliveries already loaded whose files changed, instead of refusing them.")
@click.option("--system", "systems", multiple=True, help="Only these source systems (repeatable).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def ingest(landing: Path | None, warehouse: Path | None, reload_: bool, systems: tuple[str, ...], quiet: bool) -> None:
    """Load every new delivery in LANDING into the raw layer, checked against control files and contracts.

    A delivery (one system, one business date) loads whole or not at all. Exits 1 if any delivery was rejected,
    2 if nothing could be looked at (no landing area, a broken contract, a warehouse of another layout).
    """
    from contracts.contract import ContractError
    from ingest.audit import SchemaMismatchError
    from ingest.landing import IngestError
    from ingest.loader import ingest_landing

    try:
        report = ingest_landing(
            landing=settings.landing_dir(landing),
            warehouse=settings.warehouse_path(warehouse),
            reload=reload_,
            systems=systems or None,
            progress=not quiet,
        )
    except (IngestError, ContractError, SchemaMismatchError) as exc:
        click.echo(f"ingest: {exc}", err=True)
        sys.exit(2)
    click.echo(report.summary())
    if report.rejected:
        sys.exit(1)


@cli.command()
@click.option("--landing", type=click.Path(path_type=Path), default=None,
              help="Landing area [default: CRMWH_LANDING or var/landing].")
@click.option("--warehouse", type=click.Path(path_type=Path), default=None,
              help="Served DuckDB file to publish [default: CRMWH_WAREHOUSE or var/warehouse/crmwh.duckdb].")
@click.option("--no-ingest", is_flag=True, help="Rebuild from what is already loaded; do not look at the landing area.")
@click.option("--no-validate", is_flag=True, help="Skip the Great Expectations gate (never in production).")
@click.option("--full-refresh", is_flag=True,
              help="Recompute everything from raw (automatic on the first build and after the dbt project code "
                   "or parameters changed).")
@click.option("--quiet", is_flag=True, help="No progress bars or dbt output.")
def build(landing: Path | None, warehouse: Path | None, no_ingest: bool, no_validate: bool, full_refresh: bool,
          quiet: bool) -> None:
    """Ingest new deliveries, run `dbt build`, validate, and publish the warehouse atomically.

    Everything happens on a working copy; the served file is replaced only when dbt and the critical expectations pass.
    Exits 1 when a delivery was rejected (the rest is still published), 2 when nothing was published.
    """
    from crmwh.build import BuildError, run_build
    from crmwh.publish import PublishError

    try:
        report = run_build(
            settings.landing_dir(landing),
            settings.warehouse_path(warehouse),
            ingest=not no_ingest,
            validate=not no_validate,
            full_refresh=full_refresh,
            progress=not quiet,
        )
    except (BuildError, PublishError) as exc:
        click.echo(f"build failed, the served warehouse is unchanged: {exc}", err=True)
        sys.exit(2)
    click.echo(report.summary())
    if report.rejected_deliveries:
        sys.exit(1)


@cli.command()
@click.option("--port", type=int, default=None, help="Port on 127.0.0.1 [default: CRMWH_SUPERSET_PORT or 8088].")
@click.option("--profile", type=click.Choice(["embedded", "production"]), default=None,
              help="embedded: SQLite metadata, no Celery; production: PostgreSQL, Redis, Celery, gunicorn "
                   "[default: CRMWH_SUPERSET_PROFILE or embedded].")
@click.option("--warehouse", type=click.Path(path_type=Path), default=None,
              help="DuckDB file to serve [default: CRMWH_WAREHOUSE or var/warehouse/crmwh.duckdb].")
def serve(port: int | None, profile: str | None, warehouse: Path | None) -> None:
    """Start Superset (its own virtualenv) over the warehouse, in the foreground; Ctrl-C or SIGTERM stops it."""
    import os

    args = ["bash", str(settings.REPO_ROOT / "scripts" / "superset_serve.sh"),
            "--warehouse", str(settings.warehouse_path(warehouse))]
    if port is not None:
        args += ["--port", str(port)]
    if profile is not None:
        args += ["--profile", profile]
    os.execvp("bash", args)  # the server gets the terminal's signals directly


@cli.command()
@click.option("--write", "write_to", type=click.Path(path_type=Path), default=None,
              help="Write the Markdown spec to this file instead of printing it.")
@click.option("--check", "check_path", type=click.Path(path_type=Path, exists=True), default=None,
              help="Exit 1 if this file or the dbt sources and code-value seed differ from what the contracts give.")
@click.option("--sync-dbt", is_flag=True,
              help="Rewrite the dbt sources (models/staging/*/_*__sources.yml) and the code-value seed.")
def contracts(write_to: Path | None, check_path: Path | None, sync_dbt: bool) -> None:
    """The human-readable extract specification, generated from contracts/."""
    from contracts import dbt_sources
    from contracts.spec import render_spec

    if sync_dbt:
        written = dbt_sources.sync()
        for path in written:
            click.echo(f"wrote {path.relative_to(settings.REPO_ROOT)}")
        if not written:
            click.echo("the dbt sources and the code-value seed are up to date")
        return
    text = render_spec()
    if check_path is not None:
        stale = [str(p.relative_to(settings.REPO_ROOT)) for p in dbt_sources.out_of_date()]
        if check_path.read_text(encoding="utf-8") != text:
            stale.insert(0, str(check_path))
        if stale:
            click.echo(f"out of date: {', '.join(stale)}: run `crmwh contracts --write {check_path}` and "
                       "`crmwh contracts --sync-dbt`", err=True)
            sys.exit(1)
        click.echo(f"{check_path}, the dbt sources and the code-value seed match the contracts")
        return
    if write_to is not None:
        write_to.write_text(text, encoding="utf-8")
        click.echo(f"wrote {write_to}")
    else:
        click.echo(text, nl=False)


@cli.command()
@click.option("--warehouse", type=click.Path(path_type=Path), default=None,
              help="Published DuckDB file [default: CRMWH_WAREHOUSE or var/warehouse/crmwh.duckdb].")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Site folder [default: var/docs].")
def docs(warehouse: Path | None, out: Path | None) -> None:
    """Write docs/extracts.md, the dbt docs (one offline HTML file) and the Data Docs site of the warehouse."""
    from crmwh import docs as docs_mod
    from crmwh.build import BuildError

    served = settings.warehouse_path(warehouse)
    out_dir = (out or settings.VAR_DIR / "docs").resolve()
    click.echo(f"extract spec: {docs_mod.write_extract_spec()}")
    try:
        click.echo(f"dbt docs:     {docs_mod.build_dbt_docs(served, out_dir / 'dbt')}")
        click.echo(f"Data Docs:    {docs_mod.build_quality_docs(served, out_dir / 'data-quality')}")
    except (FileNotFoundError, BuildError) as exc:
        click.echo(f"docs: {exc}", err=True)
        sys.exit(2)


_FORWARDED = {"context_settings": {"ignore_unknown_options": True, "allow_extra_args": True}, "add_help_option": False}


@cli.command(**_FORWARDED)
@click.pass_context
def validate(ctx: click.Context) -> None:
    """Run the data-quality suites on the warehouse and record the results; exits 1 on a critical failure.

    `crmwh validate --help` lists the options. (Great Expectations is imported only when this runs.)
    """
    from expectations.cli import validate as command

    command.main(args=ctx.args, prog_name="crmwh validate")


@cli.command("quality-docs", **_FORWARDED)
@click.pass_context
def quality_docs(ctx: click.Context) -> None:
    """Build the offline Data Docs site of the data-quality results (`--help` for options)."""
    from expectations.cli import quality_docs as command

    command.main(args=ctx.args, prog_name="crmwh quality-docs")


def main() -> None:
    # duckdb 2.0's nanobind bindings print a page of "leaked function" warnings when the interpreter finalizes after
    # Great Expectations/pandas were imported. Every connection is closed by then, so skip finalization: flush and
    # leave with the command's exit code.
    code: int = 0
    try:
        cli.main(standalone_mode=True)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            click.echo(exc.code, err=True)
            code = 1
        else:
            code = exc.code or 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
