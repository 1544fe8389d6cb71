"""``crmwh train``: train on a warehouse file opened read only, save the versioned artifact."""

from __future__ import annotations

from pathlib import Path

import duckdb
from tqdm import tqdm

from models.artifacts import Artifact
from models.churn import TrainReport, train_churn_model
from models.errors import ModelError

STEPS = 5


def train_from_warehouse(database: Path, models_root: Path, progress: bool = True) -> TrainReport:
    """Train the churn model on ``database`` and save it under ``models_root`` (nothing saved when training fails)."""
    if not database.is_file():
        raise ModelError(f"no warehouse at {database}: build one first (`crmwh build`)")
    con = duckdb.connect(str(database), read_only=True)
    try:
        with tqdm(total=STEPS, desc="train", unit="step", disable=not progress, leave=False) as bar:
            def step(name: str) -> None:
                bar.set_postfix_str(name)
                bar.update(1)

            report = train_churn_model(con, step)
            step("saving")
    finally:
        con.close()
    save(report.artifact, models_root)
    return report


def save(artifact: Artifact, models_root: Path) -> Path:
    models_root.mkdir(parents=True, exist_ok=True)
    return artifact.save(models_root)
