"""``crmwh train`` for the marketing models: train on a warehouse file opened read only, save the versioned
artifacts (nothing saved for a model whose training fails)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from models.errors import ModelError
from models.propensity import PropensityReport, train_propensity_model
from models.segments import SegmentReport, train_segments


@dataclass
class MarketingTrainReport:
    propensity: PropensityReport | None = None
    segments: SegmentReport | None = None

    def summary(self) -> str:
        return "\n".join(r.summary() for r in (self.propensity, self.segments) if r is not None)


def train_marketing_from_warehouse(database: Path, models_root: Path, propensity: bool = True,
                                   segments: bool = True) -> MarketingTrainReport:
    """Train the next-best-product model and/or the segmentation on ``database``; save them under ``models_root``
    only when every requested model trained."""
    if not database.is_file():
        raise ModelError(f"no warehouse at {database}: build one first (`crmwh build`)")
    report = MarketingTrainReport()
    con = duckdb.connect(str(database), read_only=True)
    try:
        if propensity:
            report.propensity = train_propensity_model(con)
        if segments:
            report.segments = train_segments(con)
    finally:
        con.close()
    for part in (report.propensity, report.segments):
        if part is not None:
            part.artifact.save(models_root)
    return report
