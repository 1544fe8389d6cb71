"""``crmwh``: one command per pipeline step. Run ``crmwh --help`` for the list.

Every expected failure raises a :class:`~contracts.errors.CrmwhError`; the group prints its message (no traceback)
and exits with its code: 0 ok, 1 data rejected (the rest went through), 2 failed and changed nothing, 3 internal
error (a bug; the traceback is printed).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import traceback
from datetime import date
from pathlib import Path
from typing import Any

import click

from contracts.errors import CrmwhError, ExitCode
from crmwh import __version__, options, settings

# What a failure of each command means for the user, printed before the error's own message.
_FAILURE_PREFIX = {
    "build": "build failed, the served warehouse is unchanged",
    "users": "users sync failed, Superset is unchanged",
    "ingest": "ingest failed, the served warehouse is unchanged",
    "validate": "validate failed, the served warehouse is unchanged",
    "withdraw": "withdraw failed, the served warehouse is unchanged",
    "restore": "restore failed, the served warehouse is unchanged",
    "lake": "lake failed, the served warehouse is unchanged",
}


class _Crmwh(click.Group):
    """Maps errors to exit codes in one place, for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except CrmwhError as exc:
            command = ctx.invoked_subcommand or "crmwh"
            click.echo(f"{_FAILURE_PREFIX.get(command, command)}: {exc}", err=True)
            ctx.exit(int(exc.exit_code))
        except Exception:  # a bug: say so, show where, and use the code that means it
            click.echo(f"crmwh {ctx.invoked_subcommand or ''}: internal error (please report it):", err=True)
            click.echo(traceback.format_exc(), err=True)
            ctx.exit(int(ExitCode.INTERNAL))


@click.group(cls=_Crmwh, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
@click.version_option(__version__, prog_name="crmwh")
def cli() -> None:
    """Analytical CRM data warehouse for commercial banks.

    \b
    Steps, in the order `make demo` runs them:
      generate      write a synthetic bank's daily deliveries into a landing area
      ingest        load new deliveries into the raw layer of the DuckDB warehouse
      build         ingest → dbt build → validate → publish the warehouse atomically
      validate      data-quality suites (Great Expectations) on the warehouse
      serve         Apache Superset over the published warehouse on 127.0.0.1:8088
                    (--profile production: scheduled reports and alerts by e-mail)
      mailsink      a local SMTP server writing delivered mail to var/outbox/ (for the demo)
    Models (docs/models.md, docs/models-marketing.md):
      train         churn and lifetime value, next best product, segments; `build` scores with them
    Operations (docs/operations.md):
      check-delivery  a bank's sample delivery checked against the contracts and profile, loading nothing
      status        per system and business date: loaded, held, refused, rejected, missing; last publish
      withdraw      take a wrongly dated or wrong delivery out, with what depends on it
      restore       serve the previous published version again
      lake          the raw layer as parquet for the Spark engine (`build --engine spark`, docs/scale-out.md)
    Serving:
      users sync    give each branch manager (支行行长) their branch subtree and each RM (客户经理) their own
                    customers in Superset (also on serve)
    Documentation and assets:
      contracts     the extract specification; the dbt sources derived from the contracts
      assets        the Superset bundle (datasets, charts, dashboards) generated from the dbt yml
      docs          extract spec, dbt docs (static) and Data Docs of the published warehouse
      quality-docs  only the offline Data Docs site of the data-quality results

    \b
    Exit codes: 0 ok; 1 data rejected (a delivery, or a critical check on `validate`), the rest went through;
    2 the command failed and changed nothing (bad usage or input; a failed build leaves the served warehouse as it
    was); 3 internal error.
    """


@cli.command()
@click.option("--scale", type=float, default=0.01, show_default=True,
              help="Size of the bank: 1 = 100,000 customers (about 5 % corporate).")
@click.option("--start", "start", callback=options.parse_date, default="2025-01-01", show_default=True,
              help="First business date.")
@click.option("--days", type=click.IntRange(min=1), default=365, show_default=True, help="Business dates to deliver.")
@click.option("--seed", type=int, default=20260101, show_default=True, help="Random seed; same seed, same bank.")
@options.landing
@click.option("--defect", "defects", multiple=True, metavar="KIND[:SYSTEM[:YYYYMMDD]]",
              help="Inject a defect for testing (repeatable); `--defect list` shows the kinds.")
@options.generator_profile
@options.quiet
def generate(scale: float, start: date, days: int, seed: int, landing: Path | None, defects: tuple[str, ...],
             profile: str, quiet: bool) -> None:
    """Write a synthetic bank's deliveries, exactly per the extract contracts, plus a manifest of true totals."""
    from synth import defects as defect_mod
    from synth.bank import generate_bank

    if "list" in defects:
        for kind, text in defect_mod.DEFECT_KINDS.items():
            click.echo(f"{kind:24} {text}")
        return
    target = settings.landing_dir(landing)
    parsed = [defect_mod.parse_defect(d) for d in defects]
    manifest = generate_bank(scale=scale, start=start, days=days, seed=seed, out=target, defects=parsed,
                             progress=not quiet, profile=profile)
    click.echo(f"wrote {manifest.summary()} into {target}")
    if profile != "default":
        click.echo(f"the bank profile is {target / 'bank.yaml'}: export CRMWH_BANK_PROFILE={target / 'bank.yaml'} "
                   "before `crmwh build`")


@cli.command()
@options.landing
@options.warehouse
@click.option("--reload", "reload_", is_flag=True,
              help="Replace deliveries already loaded whose files changed, instead of refusing them.")
@click.option("--system", "systems", multiple=True, help="Only these source systems (repeatable).")
@options.quiet
def ingest(landing: Path | None, warehouse: Path | None, reload_: bool, systems: tuple[str, ...], quiet: bool) -> None:
    """Load every new delivery in the landing area into the raw layer, checked against control files and contracts.

    A delivery (one system, one business date) loads whole or not at all, in date order without gaps. It loads into a
    private copy of the served warehouse, published when a delivery was attempted (the marts follow on the next
    `crmwh build`). Exits 1 if any delivery was rejected, refused or held, 2 if nothing could be looked at (no
    landing area, a broken contract, a warehouse of another layout, another command holding the lock).
    """
    from crmwh import operations

    report = operations.ingest(settings.landing_dir(landing), settings.warehouse_path(warehouse), reload=reload_,
                               systems=systems or None, progress=not quiet)
    click.echo(report.summary())
    if report.rejected:
        sys.exit(ExitCode.REJECTED)


@cli.command()
@options.landing
@options.warehouse
@click.option("--no-ingest", is_flag=True, help="Rebuild from what is already loaded; do not look at the landing area.")
@click.option("--no-validate", is_flag=True, help="Skip the Great Expectations gate (never in production).")
@click.option("--full-refresh", is_flag=True,
              help="Recompute everything from raw (automatic on the first build and after the dbt project code "
                   "or parameters changed).")
@click.option("--reload", "reload_day", callback=options.parse_date, metavar="DATE",
              help="Replace the loaded deliveries of this business date whose files changed (a correction of a past "
                   "delivery), instead of refusing them; with --system, only those systems'.")
@click.option("--system", "systems", multiple=True, help="With --reload: only these source systems (repeatable).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None,
              help="What dbt runs on (default: the bank profile's `engine`, else duckdb). spark: the raw layer is "
                   "copied to the lake as parquet, dbt rebuilds everything on Spark and the tables are written back "
                   "(needs `make setup-spark`; docs/scale-out.md).")
@click.option("--lake", type=click.Path(path_type=Path, file_okay=False), envvar=settings.ENV_LAKE,
              help="With the Spark engine: the lake folder (default: the profile's spark.lake, else var/lake).")
@options.models_dir
@options.quiet
def build(landing: Path | None, warehouse: Path | None, no_ingest: bool, no_validate: bool, full_refresh: bool,
          reload_day: date | None, systems: tuple[str, ...], engine: str | None, lake: Path | None,
          models: Path | None, quiet: bool) -> None:
    """Ingest new deliveries, run `dbt build`, validate, and publish the warehouse atomically.

    Everything happens on a working copy; the served file is replaced only when dbt and the critical expectations pass.
    A corrected past delivery is reloaded the same way: `crmwh build --reload 2025-01-31 --system core`.
    Exits 1 when a delivery was rejected (the rest is still published), 2 when nothing was published.
    """
    from contracts.profile import load_profile
    from crmwh.build import run_build
    from ingest.loader import ReloadScope

    profile = load_profile()
    engine = engine or profile.engine
    if systems and reload_day is None:
        raise click.UsageError("--system goes with --reload DATE")
    if reload_day is not None and no_ingest:
        raise click.UsageError("--reload needs the ingest step (drop --no-ingest)")

    report = run_build(
        settings.landing_dir(landing),
        settings.warehouse_path(warehouse),
        ingest=not no_ingest,
        validate=not no_validate,
        full_refresh=full_refresh,
        progress=not quiet,
        models=settings.models_dir(models),
        reload=None if reload_day is None else ReloadScope(reload_day, systems),
        engine=engine,
        lake=settings.lake_dir(lake, profile.spark.lake) if engine == "spark" else None,
    )
    click.echo(report.summary())
    if report.rejected_deliveries:
        sys.exit(ExitCode.REJECTED)


@cli.command()
@options.warehouse
@click.option("--lake", type=click.Path(path_type=Path, file_okay=False), envvar=settings.ENV_LAKE,
              help="The lake folder (default: the profile's spark.lake, else var/lake).")
@click.option("--ddl", is_flag=True, help="Only print the Spark statements defining the lake's tables (JSON), for a "
                                          "Thrift server's CRMWH_SPARK_LAKE_TABLES.")
@options.quiet
def lake(warehouse: Path | None, lake: Path | None, ddl: bool, quiet: bool) -> None:
    """Write or refresh the lake: the served warehouse's raw and audit tables as parquet, for the Spark engine.

    One file per delivery batch and raw table (`raw/<system>__<extract>/business_date=YYYY-MM-DD/`), the audit tables
    whole; files of batches the warehouse no longer holds are removed. `crmwh build --engine spark` does this itself;
    this rebuilds a lake from any warehouse. Reads the served version read-only.
    """
    import json

    from contracts.profile import load_profile
    from crmwh import publish, spark_build
    from ingest.lake import export_warehouse

    folder = settings.lake_dir(lake, load_profile().spark.lake)
    if ddl:
        click.echo(json.dumps(spark_build.lake_table_statements(folder), indent=1))
        return
    served = settings.warehouse_path(warehouse)
    if not served.exists():
        raise click.UsageError(f"no warehouse at {served}")
    click.echo(export_warehouse(publish.resolve_served(served), folder, progress=not quiet).summary())


@cli.command("check-delivery")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path, file_okay=False))
def check_delivery(directory: Path) -> None:
    """Check a bank's sample delivery against the contracts and the bank profile, without loading it.

    DIR is a delivery folder (<system>/<YYYYMMDD>/), a system folder or a landing area. Prints, per file: the
    encoding and column count the contract and profile expect, whether the file passes its checks, the first bad lines
    with their reasons and the code values not in the contract's lists. The loader's own checks run on a temporary
    in-memory database; the warehouse is never opened. Exits 0 when everything passes, 1 when problems were found.
    """
    from ingest.check_delivery import check_delivery as run_check

    report = run_check(directory)
    click.echo(report.render())
    if not report.ok:
        sys.exit(ExitCode.REJECTED)


@cli.command()
@click.argument("system")
@click.argument("day", metavar="DATE", callback=options.parse_date)
@click.option("--reason", required=True, help="Why (kept in audit.withdrawals), e.g. 'dated 20250306, is 20250206'.")
@click.option("--requeue", is_flag=True,
              help="The delivery is right but loaded out of its place: let it load again after the days before it "
                   "(without this, the same files are refused from now on; a corrected delivery loads).")
@options.warehouse
def withdraw(system: str, day: date, reason: str, requeue: bool, warehouse: Path | None) -> None:
    """Take a wrongly dated or wrong delivery out of the warehouse, with everything that depends on it.

    \b
    Goes: the delivery's rows (or, if it never loaded, it is marked so that it cannot); the later days of the same
    system; the same and later days of the systems that refer to it (every system refers to ref). Recorded in
    audit.withdrawals and audit.deliveries (status WITHDRAWN); nothing is deleted from the landing area. The
    dependent deliveries load again on the next run; `crmwh build` then rebuilds the marts from raw.
    """
    from crmwh import operations

    report = operations.withdraw(settings.warehouse_path(warehouse), system, day, reason, requeue=requeue)
    click.echo(report.summary())


@cli.command()
@options.warehouse
@options.landing
@click.option("--system", "systems", multiple=True, help="Only these source systems (repeatable).")
@click.option("--all", "show_all", is_flag=True, help="Every business date, not only those that need attention.")
def status(warehouse: Path | None, landing: Path | None, systems: tuple[str, ...], show_all: bool) -> None:
    """Per system and business date: loaded, held, refused, rejected, withdrawn, missing (a gap), pending; rejected
    rows; the version served, when it was published, and the last build. Reads the served version read-only.

    Exits 0 when every delivery up to the newest business date is loaded, 1 when one is held, refused, rejected or
    missing (the lines under "by business date" say why and what waits for what), 2 when nothing is published.
    """
    from crmwh import operations
    from crmwh.status import read_status

    served = settings.warehouse_path(warehouse)
    operations.require_served(served)
    found = read_status(served, settings.landing_dir(landing), systems or None)
    click.echo(found.render(show_all))
    if found.not_loaded:
        sys.exit(ExitCode.REJECTED)


@cli.command()
@options.warehouse
def restore(warehouse: Path | None) -> None:
    """Serve the previous published version again (after a bad build); a second restore undoes the first.

    The landing area is untouched: deliveries the restored version does not hold load again on the next build.
    """
    from crmwh import publish

    served = settings.warehouse_path(warehouse)
    was, now = publish.restore_previous(served)
    click.echo(f"{served} now serves {now.name} again (it served {was.name}, which is kept as the previous version)")


@cli.command()
@options.warehouse
@options.models_dir
@options.model_kind
@click.option("--card", "card_path", type=click.Path(path_type=Path), default=None, show_default="docs/models.md",
              help="Write the churn model card (metrics of the model and its baselines side by side) here.")
@click.option("--marketing-card", "marketing_card_path", type=click.Path(path_type=Path), default=None,
              show_default="docs/models-marketing.md",
              help="Write the marketing models' card (propensity beside its baseline, segments, stability) here.")
@click.option("--campaign-truth", "truth_path", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None, help="A synthetic bank's _manifest.json: also backtest targeting the top propensity decile "
                                 "of each campaign against its true effects, into the marketing card.")
@options.quiet
def train(warehouse: Path | None, models: Path | None, model_kind: str, card_path: Path | None,
          marketing_card_path: Path | None, truth_path: Path | None, quiet: bool) -> None:
    """Train the models on the served warehouse (read only), evaluate them beside their baselines and save them.

    --model chooses one (churn, propensity, segments) or all. Each model is versioned by a hash of its training
    data and code under --models; the next `crmwh build` scores with it. Exits 2, writing nothing of the failing
    model, when the warehouse has too few complete months, leavers or customers.
    """
    from crmwh.publish import resolve_served

    truth = _campaign_truth(truth_path) if truth_path is not None else None  # a bad file fails before training
    database = resolve_served(settings.warehouse_path(warehouse))
    root = settings.models_dir(models)
    if model_kind in ("churn", "all"):
        from models.card import write_model_card
        from models.training import train_from_warehouse

        report = train_from_warehouse(database, root, progress=not quiet)
        card = write_model_card(report, card_path or settings.REPO_ROOT / "docs" / "models.md")
        click.echo(f"{report.summary()}\nmodel card: {card}")
    if model_kind in ("propensity", "segments", "all"):
        from models.marketing_card import write_marketing_card
        from models.marketing_training import train_marketing_from_warehouse

        marketing = train_marketing_from_warehouse(database, root, propensity=model_kind != "segments",
                                                   segments=model_kind != "propensity")
        backtest = None
        if truth is not None and model_kind != "segments":
            from models.targeting_backtest import backtest_from_warehouse

            backtest = backtest_from_warehouse(database, truth)
            click.echo(backtest.summary())
        card = write_marketing_card(marketing.propensity, marketing.segments,
                                    marketing_card_path or settings.REPO_ROOT / "docs" / "models-marketing.md",
                                    backtest)
        click.echo(f"{marketing.summary()}\nmodel card: {card}")


def _campaign_truth(path: Path) -> dict[str, list[Any]]:
    """The campaigns' true effects of a synthetic bank's manifest (``truth.campaigns``)."""
    import json

    from models.targeting_backtest import truth_from_manifest

    try:
        return truth_from_manifest(json.loads(path.read_text(encoding="utf-8"))["truth"]["campaigns"])
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise click.BadParameter(f"{path} is not a synthetic bank's manifest with truth.campaigns ({exc})",
                                 param_hint="--campaign-truth") from exc


@cli.command()
@options.warehouse
@click.option("--stage", "stages", multiple=True, type=click.Choice(("raw", "marts")),
              help="Only this stage (repeatable).")
@click.option("--batch", "batch_ids", multiple=True, type=int,
              help="Validate these deliveries (batch ids, repeatable) [default: those not validated yet].")
@click.option("--all-deliveries", is_flag=True, help="Validate every LOADED delivery again.")
@click.option("--suite", "suites", multiple=True, help="Only this suite, e.g. raw.core__accounts (repeatable).")
@click.option("--no-record", is_flag=True, help="Do not append the results to the quality tables of the warehouse.")
@click.option("--docs", "docs_dir", type=click.Path(path_type=Path), default=None,
              help="Also render Data Docs of this run into DIR.")
@options.quiet
def validate(warehouse: Path | None, stages: tuple[str, ...], batch_ids: tuple[int, ...], all_deliveries: bool,
             suites: tuple[str, ...], no_record: bool, docs_dir: Path | None, quiet: bool) -> None:
    """Run the data-quality suites (Great Expectations, in DuckDB) and record the results in the warehouse.

    Exits 1 when a critical expectation failed (naming it): the warehouse must not be published.
    """
    from crmwh import operations
    from expectations.model import STAGES

    report = operations.validate(
        settings.warehouse_path(warehouse), record=not no_record, all_deliveries=all_deliveries,
        stages=stages or STAGES, batch_ids=list(batch_ids) or None, docs_dir=docs_dir, suites=list(suites) or None,
        progress=not quiet,
    )
    click.echo(report.summary())
    if not report.passed:
        sys.exit(ExitCode.REJECTED)


@cli.command()
@click.option("--port", type=int, envvar="CRMWH_SUPERSET_PORT", show_envvar=True, default=None, show_default="8088",
              help="Port on 127.0.0.1.")
@click.option("--profile", type=click.Choice(["embedded", "production"]), envvar="CRMWH_SUPERSET_PROFILE",
              show_envvar=True, default=None, show_default="embedded",
              help="embedded: SQLite metadata, no Celery; production: PostgreSQL, Redis, Celery, gunicorn.")
@options.warehouse
def serve(port: int | None, profile: str | None, warehouse: Path | None) -> None:
    """Start Superset (its own virtualenv) over the warehouse, in the foreground; Ctrl-C or SIGTERM stops it."""
    args = ["bash", str(settings.REPO_ROOT / "scripts" / "superset_serve.sh"),
            "--warehouse", str(settings.warehouse_path(warehouse))]
    if port is not None:
        args += ["--port", str(port)]
    if profile is not None:
        args += ["--profile", profile]
    sys.stdout.flush()
    os.execvp("bash", args)  # the server gets the terminal's signals directly


@cli.command()
@click.option("--port", type=int, default=None, show_default="8025 (CRMWH_SMTP_PORT)", help="Port on 127.0.0.1.")
@click.option("--outbox", type=click.Path(path_type=Path), default=None, show_default="var/outbox",
              help="Folder each delivered message is written to, as an .eml file.")
def mailsink(port: int | None, outbox: Path | None) -> None:
    """A local SMTP server for demos: reports and alerts of the production profile land in var/outbox/ as .eml."""
    import signal
    import threading

    from dashboards import mailsink as sink_mod
    from dashboards import settings as superset_settings

    target = (outbox or superset_settings.outbox_dir()).resolve()
    chosen = port or superset_settings.smtp().port
    stop = threading.Event()
    with sink_mod.MailSink(target, port=chosen):
        click.echo(f"mail sink on 127.0.0.1:{chosen}: every message goes to {target}/*.eml; Ctrl-C stops it")
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


@cli.group()
def users() -> None:
    """Superset users: the branch each branch manager (支行行长) sees."""


class UsersSyncError(CrmwhError):
    """The branch managers could not be synced; Superset is unchanged."""


@users.command("sync")
@options.warehouse
@options.branch_managers
def users_sync(warehouse: Path | None, managers: Path | None) -> None:
    """Give every 支行行长 user of Superset exactly their branch subtree, from the published warehouse.

    A user's branch comes from the managers file, else (the demo user) the demo branch, else the RM roster
    (marts.dim_relationship_manager) when the user name is an active RM's staff id. A manager found nowhere sees no
    rows. Run it after a build or after adding users; Superset may be running. Exits 1 when a manager has no branch
    or a line of the managers file was not used.
    """
    from dashboards import serve
    from dashboards import settings as superset_settings

    python = superset_settings.superset_python()
    if not python.exists():
        raise UsersSyncError(f"{python} is missing: run scripts/superset_setup.sh (or crmwh serve) first")
    args = [str(python), "-m", "dashboards.users", "sync", "--warehouse", str(settings.warehouse_path(warehouse))]
    if managers is not None:
        args += ["--managers", str(managers.absolute())]
    done = subprocess.run(args, cwd=settings.REPO_ROOT, env=serve.child_env(), capture_output=True, text=True,
                          check=False)
    if done.returncode in (ExitCode.OK, ExitCode.REJECTED):
        click.echo(done.stdout, nl=False)
        sys.exit(done.returncode)
    if done.returncode == ExitCode.FAILED and done.stdout.strip():
        raise UsersSyncError(done.stdout.strip())
    click.echo(f"crmwh users sync: internal error in Superset's process (exit {done.returncode}):", err=True)
    click.echo(done.stderr[-4000:], err=True)
    sys.exit(ExitCode.INTERNAL)


@cli.command()
@click.option("--write", "write_to", type=click.Path(path_type=Path), default=None,
              help="Write the Markdown spec to this file instead of printing it.")
@click.option("--check", "check_path", type=click.Path(path_type=Path, exists=True), default=None,
              help="Exit 2 if this file or the dbt sources and code-value seed differ from what the contracts give.")
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
            raise OutOfDate(f"out of date: {', '.join(stale)}: run `crmwh contracts --write {check_path}` and "
                            "`crmwh contracts --sync-dbt`")
        click.echo(f"{check_path}, the dbt sources and the code-value seed match the contracts")
        return
    if write_to is not None:
        write_to.write_text(text, encoding="utf-8")
        click.echo(f"wrote {write_to}")
    else:
        click.echo(text, nl=False)


class OutOfDate(CrmwhError):
    """A generated file differs from what its source gives."""


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), default=None, show_default="dashboards/assets/bundle",
              help="Bundle folder.")
@click.option("--check", is_flag=True, help="Only compare with the folder; exit 2 if it differs.")
def assets(out: Path | None, check: bool) -> None:
    """The Superset bundle (datasets, charts, dashboards), generated from the dbt yml's `meta.superset` blocks."""
    from dashboards import bundle

    target = out or bundle.ASSETS_DIR
    if check:
        changed = bundle.check_bundle(target)
        if changed:
            raise OutOfDate(f"{target} is out of date ({len(changed)} files, e.g. {changed[:3]}): run `crmwh assets`")
        click.echo(f"{target} is up to date")
        return
    files = bundle.write_bundle(target)
    kinds = {k: sum(1 for f in files if f.startswith(k)) for k in ("datasets/", "charts/", "dashboards/")}
    click.echo(f"wrote {len(files)} files into {target}: "
               + ", ".join(f"{n} {k.rstrip('/')}" for k, n in kinds.items()))


@cli.command()
@options.warehouse
@click.option("--out", type=click.Path(path_type=Path), default=None, show_default="var/docs", help="Site folder.")
def docs(warehouse: Path | None, out: Path | None) -> None:
    """Write docs/extracts.md, the dbt docs (one offline HTML file) and the Data Docs site of the warehouse."""
    from crmwh import docs as docs_mod

    served = settings.warehouse_path(warehouse)
    out_dir = (out or settings.VAR_DIR / "docs").resolve()
    click.echo(f"extract spec: {docs_mod.write_extract_spec()}")
    click.echo(f"dbt docs:     {docs_mod.build_dbt_docs(served, out_dir / 'dbt')}")
    click.echo(f"Data Docs:    {docs_mod.build_quality_docs(served, out_dir / 'data-quality')}")


@cli.command("quality-docs")
@options.warehouse
@click.option("--out", type=click.Path(path_type=Path), default=None, show_default="var/docs/data-quality",
              help="Site folder, replaced on every build.")
def quality_docs(warehouse: Path | None, out: Path | None) -> None:
    """Build the offline Data Docs site of the warehouse's data-quality results; writes nothing to the warehouse."""
    from crmwh import docs as docs_mod

    target = (out or settings.VAR_DIR / "docs" / "data-quality").resolve()
    click.echo(f"Data Docs: {docs_mod.build_quality_docs(settings.warehouse_path(warehouse), target)}")


def main() -> None:
    # duckdb 2.0's nanobind bindings print a page of "leaked function" warnings when the interpreter finalizes after
    # Great Expectations/pandas were imported. Every connection is closed by then, so skip finalization: flush and
    # leave with the command's exit code.
    code: int = 0
    # Whatever a command creates (landing files, warehouse versions, working copies, logs, docs) is readable by the
    # owner and their group only: the data is a bank's customers'.
    os.umask(0o027)
    try:
        cli.main(standalone_mode=True)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            click.echo(exc.code, err=True)
            code = int(ExitCode.REJECTED)
        else:
            code = exc.code or 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
