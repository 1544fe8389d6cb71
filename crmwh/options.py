"""Every option the ``crmwh`` commands share, defined once (name, environment variable, default, help).

A command takes them as decorators: ``@options.warehouse``. Help text shows the environment variable and the default,
generated from the definition, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from crmwh import settings
from dashboards.settings import ENV_BRANCH_MANAGERS


def _path_option(*names: str, envvar: str, default: str, help: str) -> click.Option:
    return click.option(
        *names, type=click.Path(path_type=Path), envvar=envvar, show_envvar=True, default=None,
        show_default=default, help=help,
    )


warehouse = _path_option(
    "--warehouse", envvar=settings.ENV_WAREHOUSE, default=settings.DEFAULT_WAREHOUSE,
    help="The served DuckDB warehouse file.",
)
landing = _path_option(
    "--landing", envvar=settings.ENV_LANDING, default=settings.DEFAULT_LANDING,
    help="The landing area: <landing>/<system>/<YYYYMMDD>/ holds one delivery.",
)
models_dir = _path_option(
    "--models", envvar=settings.ENV_MODELS, default=settings.DEFAULT_MODELS,
    help="Folder of the trained model artifacts (one sub-folder per version, LATEST names the current one).",
)
quiet = click.option("--quiet", is_flag=True, help="No progress bars or tool output.")
# the models `crmwh train` can train: churn (with lifetime value), next-best-product propensity, segmentation
MODEL_KINDS = ("churn", "propensity", "segments")
model_kind = click.option(
    "--model", "model_kind", type=click.Choice((*MODEL_KINDS, "all")), default="all", show_default=True,
    help="Which model to train: churn (and lifetime value), propensity (next best product), segments "
         "(behavioural segmentation), or all of them.",
)
# the banks `crmwh generate --profile` can write (synth/profiles.py; a unit test keeps the two lists equal)
GENERATOR_PROFILES = ("default", "euro_retail")
generator_profile = click.option(
    "--profile", "profile", type=click.Choice(GENERATOR_PROFILES), default="default", show_default=True,
    help="Which bank to generate: default (the Chinese demo bank of contracts/bank.yaml) or euro_retail (a Czech "
         "retail bank: CZK, no cards, weekends and holidays off, UTF-8 Latin names; writes <landing>/bank.yaml, "
         "which CRMWH_BANK_PROFILE must name for the other commands).",
)
branch_managers = click.option(
    "--managers", type=click.Path(path_type=Path, dir_okay=False), envvar=ENV_BRANCH_MANAGERS, show_envvar=True,
    default=None, help="CSV with the header 'username,branch_code': branch managers who are not on the RM roster.",
)


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD or YYYYMMDD)")
