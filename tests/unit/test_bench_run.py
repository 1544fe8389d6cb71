"""bench/run.py's reading of what `crmwh build` reports."""

from __future__ import annotations

from bench.run import _build_steps


def test_the_build_summary_gives_each_steps_wall_seconds() -> None:
    output = ("build published (ingest 5.6s, dbt build (incremental) 63.0s, score 1.5s, score marketing 0.1s, "
              "validate 8.3s, publish 0.9s)\n  dbt build: incremental (same project code as the last build)\n")
    assert _build_steps(output) == {"ingest": 5.6, "dbt build (incremental)": 63.0, "score": 1.5,
                                    "score marketing": 0.1, "validate": 8.3, "publish": 0.9}
    assert _build_steps("nothing published\n") == {}
