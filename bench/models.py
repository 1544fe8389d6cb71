"""The churn model's figures: ``crmwh train`` on a built warehouse, and scoring 100,000 customers (the features of the
warehouse's latest month repeated under new party ids until there are that many, prepared before the clock starts),
each as a child process with its wall time, CPU seconds (user + system) and peak memory.
``python -m bench.models --warehouse FILE``."""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click

from bench.run import PYTHON, REPO, run_measured, summary


def _grow(warehouse: Path, customers: int) -> None:
    """Blow the latest month of ``warehouse`` up to ``customers`` rows (not measured: it only prepares the input)."""
    import duckdb

    con = duckdb.connect(str(warehouse))
    month = con.execute("select max(month_start) from intermediate.int_churn_features_monthly").fetchall()[0][0]
    have = con.execute("select count(*) from intermediate.int_churn_features_monthly where month_start = ?",
                       [month]).fetchall()[0][0]
    copies = -(-customers // have)
    con.execute(f"""create temp table grown as
        select f.* replace (f.party_id || '-' || c.i as party_id)
        from intermediate.int_churn_features_monthly as f, range({copies}) as c(i)
        where f.month_start = ? qualify row_number() over () <= {customers}""", [month])
    con.execute("delete from intermediate.int_churn_features_monthly where month_start = ?", [month])
    con.execute("insert into intermediate.int_churn_features_monthly select * from grown")
    con.execute("""insert into intermediate.int_churn_labels_monthly
        select month_start, party_id, false, null, false from grown
        where party_id not in (select party_id from intermediate.int_churn_labels_monthly where month_start = ?)""",
                [month])
    con.close()


def _score(warehouse: Path, models: Path) -> None:
    """Child process: score the latest month as `crmwh build` does."""
    import duckdb

    from models import latest_artifact, score_warehouse

    con = duckdb.connect(str(warehouse))
    artifact = latest_artifact(models)
    assert artifact is not None
    print(score_warehouse(con, artifact).summary())
    con.close()


@click.command()
@click.option("--warehouse", type=click.Path(path_type=Path, exists=True), required=True,
              help="A built warehouse (crmwh build) with complete months and leavers.")
@click.option("--customers", type=int, default=100_000, show_default=True, help="Customers to score.")
@click.option("--repeat", type=int, default=1, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=REPO / "bench" / "results-models.json",
              show_default=True)
@click.option("--score-child", is_flag=True, hidden=True)
@click.option("--models", type=click.Path(path_type=Path), default=None, hidden=True)
def main(warehouse: Path, customers: int, repeat: int, out: Path, score_child: bool, models: Path | None) -> None:
    if score_child:
        assert models is not None
        _score(warehouse, models)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-models-"))
    try:
        trains, scores = [], []
        for _ in range(repeat):
            models_dir = work / "models"
            trains.append(run_measured([PYTHON, "-m", "crmwh.cli", "train", "--model", "churn",
                                        "--warehouse", str(warehouse), "--models", str(models_dir),
                                        "--card", str(work / "card.md"), "--quiet"]))
            copy = work / "score.duckdb"
            shutil.copyfile(warehouse, copy)
            _grow(copy, customers)
            scores.append(run_measured([PYTHON, "-m", "bench.models", "--score-child", "--warehouse", str(copy),
                                        "--models", str(models_dir), "--customers", str(customers)]))
        results = {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_avg": [round(x, 2) for x in os.getloadavg()]},
            "warehouse": str(warehouse), "train": summary(trains), "train_output": trains[-1].stdout.strip(),
            "score_customers": customers, "score": summary(scores), "score_output": scores[-1].stdout.strip(),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
