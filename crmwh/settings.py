"""Where things live. Every path comes from a flag, else the environment, else a default under the ignored ``var/``."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"

ENV_LANDING = "CRMWH_LANDING"
ENV_WAREHOUSE = "CRMWH_WAREHOUSE"
DEFAULT_LANDING = "var/landing"
DEFAULT_WAREHOUSE = "var/warehouse/crmwh.duckdb"
ENV_MODELS = "CRMWH_MODELS"
DEFAULT_MODELS = "var/models"


def landing_dir(flag: str | Path | None = None) -> Path:
    """The landing area: ``<landing>/<system>/<YYYYMMDD>/`` holds one delivery."""
    return Path(flag or os.environ.get(ENV_LANDING) or REPO_ROOT / DEFAULT_LANDING).resolve()


def warehouse_path(flag: str | Path | None = None) -> Path:
    """The served DuckDB file."""
    return Path(flag or os.environ.get(ENV_WAREHOUSE) or REPO_ROOT / DEFAULT_WAREHOUSE).absolute()


def models_dir(flag: str | Path | None = None) -> Path:
    """Where trained model artifacts live, one folder per version (ignored by git)."""
    return Path(flag or os.environ.get(ENV_MODELS) or REPO_ROOT / DEFAULT_MODELS).absolute()

ENV_LAKE = "CRMWH_LAKE"
DEFAULT_LAKE = "var/lake"


def lake_dir(flag: str | Path | None = None, profile_lake: str | None = None) -> Path:
    """The lake (ingest/lake.py): the parquet copy of the raw layer the Spark engine reads. A flag, else the
    environment, else the bank profile's ``spark.lake``, else ``var/lake``."""
    return Path(flag or os.environ.get(ENV_LAKE) or profile_lake or REPO_ROOT / DEFAULT_LAKE).absolute()
