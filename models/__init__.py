"""Analytic models trained in Python on the warehouse and written back to it: churn propensity with reasons
(:mod:`models.churn`), lifetime value (:mod:`models.value`), and the marketing models: next-best-product propensity
per product family (:mod:`models.propensity`) and behavioural segmentation (:mod:`models.segments`).

The churn definition, its labels and the point-in-time features are dbt models (``intermediate/churn/``); this package
reads them, trains, evaluates against baselines, versions the artifacts and scores. It imports only ``contracts``
and ``expectations``.
"""

from models.artifacts import Artifact, latest_artifact
from models.churn import TrainReport, train_churn_model
from models.errors import ModelError
from models.scoring import ScoreReport, score_warehouse

__all__ = ["Artifact", "ModelError", "ScoreReport", "TrainReport", "latest_artifact", "score_warehouse",
           "train_churn_model"]
