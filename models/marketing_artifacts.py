"""Artifacts of the marketing models, beside the churn model's (:mod:`models.artifacts`): one sub-folder of the
models folder per model kind (``propensity/``, ``segments/``), in it one folder per version (a hash of the training
data and of the code, dbt models and parameters that made it) and ``LATEST`` naming the current one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from models.artifacts import LATEST, PACKAGE_DIR, PARAMETERS_CSV
from models.errors import ModelError

PROPENSITY = "propensity"
SEGMENTS = "segments"
DBT_MODELS = PACKAGE_DIR.parent / "dbt_project" / "models" / "intermediate"
SEEDS = PACKAGE_DIR.parent / "dbt_project" / "seeds" / "parameters"


def marketing_code_hash() -> str:
    """Hash of this package's code, the churn and propensity dbt models, the parameters and product families seeds."""
    h = hashlib.sha256()
    files = [*sorted(PACKAGE_DIR.glob("*.py")), *sorted((DBT_MODELS / "churn").glob("*")),
             *sorted((DBT_MODELS / "propensity").glob("*")), PARAMETERS_CSV, SEEDS / "product_families.csv"]
    for path in files:
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


@dataclass
class PropensityArtifact:
    """One LightGBM booster and isotonic calibration per modelled family; the popularity fallback for the others."""

    version: str
    trained_at: str
    features: list[str]
    categories: dict[str, list[str]]
    boosters: dict[str, lgb.Booster]  # family code -> booster (modelled families only)
    calibration: dict[str, tuple[list[float], list[float]]]  # family code -> isotonic thresholds (x, y)
    segment_rates: dict[str, dict[str, float]]  # family -> AUM tier -> opening rate in the training months
    meta: dict[str, Any]

    def probability(self, family: str, raw: np.ndarray) -> np.ndarray:
        x, y = self.calibration[family]
        return np.interp(raw, x, y)

    def save(self, root: Path) -> Path:
        doc = {"version": self.version, "trained_at": self.trained_at, "features": self.features,
               "categories": self.categories, "calibration": self.calibration,
               "segment_rates": self.segment_rates, "meta": self.meta}
        files = {f"model_{fam}.txt": b.model_to_string().encode() for fam, b in self.boosters.items()}
        return _save(root / PROPENSITY, self.version, doc, files)


@dataclass
class SegmentArtifact:
    """The behavioural segmentation: scaling and centroids fixed at training, the profile and name of each segment."""

    version: str
    trained_at: str
    features: list[str]
    mean: list[float]
    scale: list[float]
    centroids: list[list[float]]  # in scaled units, row i = segment i + 1
    profiles: list[dict[str, Any]]  # segment_no, name, description, customers, share and the profile figures
    meta: dict[str, Any]

    def save(self, root: Path) -> Path:
        doc = {"version": self.version, "trained_at": self.trained_at, "features": self.features, "mean": self.mean,
               "scale": self.scale, "centroids": self.centroids, "profiles": self.profiles, "meta": self.meta}
        return _save(root / SEGMENTS, self.version, doc, {})


def _save(root: Path, version: str, doc: dict[str, Any], files: dict[str, bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    folder = root / version
    tmp = root / f".{version}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    (tmp / "artifact.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    tmp.replace(folder)
    pointer = root / f".{LATEST}.tmp"
    pointer.write_text(version + "\n", encoding="utf-8")
    os.replace(pointer, root / LATEST)
    return folder


def _latest_folder(root: Path) -> Path | None:
    pointer = root / LATEST
    if not pointer.exists():
        return None
    folder = root / pointer.read_text(encoding="utf-8").strip()
    if not (folder / "artifact.json").exists():
        raise ModelError(f"{pointer} names {folder.name}, which is missing: run `crmwh train` again")
    return folder


def latest_propensity(models_root: Path) -> PropensityArtifact | None:
    folder = _latest_folder(models_root / PROPENSITY)
    if folder is None:
        return None
    doc = json.loads((folder / "artifact.json").read_text(encoding="utf-8"))
    boosters = {p.stem.removeprefix("model_"): lgb.Booster(model_file=str(p))
                for p in sorted(folder.glob("model_*.txt"))}
    calibration = {fam: (list(xy[0]), list(xy[1])) for fam, xy in doc["calibration"].items()}
    return PropensityArtifact(version=doc["version"], trained_at=doc["trained_at"], features=doc["features"],
                              categories=doc["categories"], boosters=boosters, calibration=calibration,
                              segment_rates=doc["segment_rates"], meta=doc["meta"])


def latest_segments(models_root: Path) -> SegmentArtifact | None:
    folder = _latest_folder(models_root / SEGMENTS)
    if folder is None:
        return None
    doc = json.loads((folder / "artifact.json").read_text(encoding="utf-8"))
    return SegmentArtifact(**doc)
