"""数据质量 (Data quality): Great Expectations results per run (quality.validation_results)."""

from __future__ import annotations

from dashboards.charts import Dashboard, big_number, table
from dashboards.cubes import Cube
from dashboards.filters import DATE


def board(cubes: dict[str, Cube]) -> Dashboard:
    dq = cubes["data_quality"]
    drift = cubes["churn_feature_drift"]
    return Dashboard(
        slug="data-quality",
        title_zh="数据质量",
        title_en="Data quality",
        description="Great Expectations results per run (quality.validation_results).",
        filters=(DATE,),
        rows=[
            [
                big_number("dq_pass", "通过率", "Pass rate", dq, "pass_rate"),
                big_number("dq_fail", "未通过数", "Failures", dq, "failures"),
                big_number("dq_critical", "严重未通过数", "Critical failures", dq, "critical_failures"),
                big_number("dq_drift", "流失模型漂移特征数", "Churn model: drifted features", drift,
                           "drifted_features"),
            ],
            [
                table(
                    "dq_suites",
                    "检查套件结果",
                    "Results by suite",
                    dq,
                    ["stage", "suite"],
                    ["checks", "failures", "pass_rate"],
                ),
                table(
                    "dq_failures",
                    "未通过的检查",
                    "Failed expectations",
                    dq,
                    ["suite", "expectation", "severity"],
                    ["failures"],
                ),
            ],
            [
                table("dq_drift_features", "流失模型特征漂移（PSI）", "Churn model feature drift (PSI)", drift,
                      ["feature", "model_version"], ["max_psi", "drifted_features"], limit=20),
            ],
        ],
    )
