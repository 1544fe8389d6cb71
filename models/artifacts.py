"""Model artifacts under a folder (``var/models`` by default, ignored by git): one sub-folder per version, named by a
hash of the training data and of the code and parameters that made it, so the same data and code give the same
version and any change gives a new one."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from models.errors import ModelError

PACKAGE_DIR = Path(__file__).resolve().parent
CHURN_SQL_DIR = PACKAGE_DIR.parent / "dbt_project" / "models" / "intermediate" / "churn"
PARAMETERS_CSV = PACKAGE_DIR.parent / "dbt_project" / "seeds" / "parameters" / "parameters.csv"
LATEST = "LATEST"


def code_hash() -> str:
    """Hash of this package's code, the churn dbt models and the parameters seed."""
    h = hashlib.sha256()
    files = [*sorted(PACKAGE_DIR.glob("*.py")), *sorted(CHURN_SQL_DIR.glob("*")), PARAMETERS_CSV]
    for path in files:
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def data_hash(frame: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()


@dataclass
class Artifact:
    """A trained churn model: the booster, the isotonic calibration, and what it needs to score and explain."""

    version: str
    trained_at: str  # ISO timestamp, UTC
    booster: lgb.Booster
    calibration_x: np.ndarray
    calibration_y: np.ndarray
    features: list[str]
    categories: dict[str, list[str]]
    reference: dict[str, list[float]]  # a sample of each numeric feature in the training months (drift)
    meta: dict[str, Any]

    def probability(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probability of leaving within the label horizon from the booster's raw probability."""
        return np.interp(raw, self.calibration_x, self.calibration_y)

    def save(self, root: Path) -> Path:
        folder = root / self.version
        tmp = root / f".{self.version}.tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(tmp / "model.txt"))
        doc = {"version": self.version, "trained_at": self.trained_at, "features": self.features,
               "categories": self.categories, "calibration_x": self.calibration_x.tolist(),
               "calibration_y": self.calibration_y.tolist(), "reference": self.reference, "meta": self.meta}
        (tmp / "artifact.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        if folder.exists():
            for p in folder.iterdir():
                p.unlink()
            folder.rmdir()
        tmp.replace(folder)
        pointer = root / f".{LATEST}.tmp"
        pointer.write_text(self.version + "\n", encoding="utf-8")
        os.replace(pointer, root / LATEST)
        return folder


def load_artifact(folder: Path) -> Artifact:
    doc = json.loads((folder / "artifact.json").read_text(encoding="utf-8"))
    return Artifact(version=doc["version"], trained_at=doc["trained_at"],
                    booster=lgb.Booster(model_file=str(folder / "model.txt")),
                    calibration_x=np.asarray(doc["calibration_x"]), calibration_y=np.asarray(doc["calibration_y"]),
                    features=doc["features"], categories=doc["categories"], reference=doc["reference"],
                    meta=doc["meta"])


def latest_artifact(root: Path) -> Artifact | None:
    """The model the last successful ``crmwh train`` wrote, or None when there is none."""
    pointer = root / LATEST
    if not pointer.exists():
        return None
    folder = root / pointer.read_text(encoding="utf-8").strip()
    if not (folder / "artifact.json").exists():
        raise ModelError(f"{pointer} names {folder.name}, which is missing: run `crmwh train` again")
    return load_artifact(folder)
