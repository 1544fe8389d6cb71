"""The daily dbt build of this checkout beside that of another git revision: one more business day after a history.

    python -m bench.daily_phase --warehouse INGESTED.duckdb --day LANDING_OF_ONE_DAY --ref main --repeat 3 \\
        --out bench/results-daily-phase-0.3.json

``--warehouse`` is a warehouse as `crmwh ingest` leaves it (raw and audit) holding the history; ``--day`` a landing
folder holding the next business day of every system (``<system>/<yyyymmdd>/``). For each revision: a copy of the
warehouse gets that revision's full refresh (recorded in ``audit.dbt_builds`` as `crmwh build` records it), then the
day is ingested, and that state is kept. The daily build (``INCREMENTAL_ARGS`` of the revision's crmwh/dbt_runs.py)
then runs ``--repeat`` times, revisions alternating, each from a fresh copy of that state; then, on the last copy, the
same command once more with nothing new to fold in: dbt's fixed cost plus what a build does regardless of the data.

Recorded per run: wall seconds, CPU seconds (user + system), peak memory, load average when it started, and from dbt's
run_results.json the execution time of every node (the slowest are listed; the rest of the wall time is dbt's start-up,
parse and per-node overhead). The one-day build is quoted as a share of the revision's full build (CPU and wall).
The marts of both revisions after the daily build are fingerprinted (bench/marts_hash.py): they must be identical.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import marts_hash
from bench.dbt_phase import DBT, export_project
from bench.run import REPO, Measured, run_measured, summary
from crmwh import dbt_runs

CRMWH = str(Path(sys.executable).with_name("crmwh"))


def incremental_args(source: str) -> tuple[str, ...]:
    """The value of INCREMENTAL_ARGS in the text of a crmwh/dbt_runs.py."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "INCREMENTAL_ARGS" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise SystemExit("INCREMENTAL_ARGS not found in crmwh/dbt_runs.py")


def dbt_run(project: Path, args: tuple[str, ...], database: Path) -> tuple[Measured, dict[str, object]]:
    """One dbt command on ``database``; its measurement and the node times of its run_results.json."""
    target = database.with_suffix(".target")
    env = {"CRMWH_DBT_DATABASE": str(database), "DO_NOT_TRACK": "1"}
    measured = run_measured([DBT, *args, "--quiet", "--project-dir", str(project), "--profiles-dir", str(project),
                             "--target-path", str(target)], env=env, cwd=project)
    run_results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    times = {r["unique_id"]: float(r["execution_time"]) for r in run_results["results"]}
    node_seconds = sum(times.values())
    slowest = sorted(times.items(), key=lambda kv: -kv[1])[:15]
    return measured, {
        "nodes": len(times),
        "dbt_elapsed_seconds": round(float(run_results.get("elapsed_time", 0.0)), 2),
        "node_seconds_sum": round(node_seconds, 2),
        "slowest_nodes": {uid.split(".", 2)[-1]: round(s, 2) for uid, s in slowest},
    }


def prepare(name: str, project: Path, full_args: tuple[str, ...], warehouse: Path, day: Path,
            workdir: Path) -> tuple[Path, Measured, dict[str, object]]:
    """A copy of ``warehouse`` fully built by ``project``, recorded, with ``day`` ingested: the daily build's input."""
    built = workdir / f"{name}-day-ingested.duckdb"
    shutil.copyfile(warehouse, built)
    plan = dbt_runs.plan_build(built, project, force_full=True)
    started = dbt_runs.now()
    full, nodes = dbt_run(project, full_args, built)
    dbt_runs.record_build(built, plan, started, full.seconds)
    run_measured([CRMWH, "ingest", "--landing", str(day), "--warehouse", str(built), "--quiet"])
    daily_plan = dbt_runs.plan_build(built, project)
    if daily_plan.mode != dbt_runs.INCREMENTAL:
        raise SystemExit(f"{name}: expected a daily build after the full one, got {daily_plan.mode}")
    print(f"{name} full build: {full.seconds:.1f} s wall, {full.cpu_seconds:.1f} s CPU, load {full.load_avg:.1f}",
          flush=True)
    return built, full, nodes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.daily_phase", description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="an ingested warehouse (raw + audit)")
    parser.add_argument("--day", type=Path, required=True, help="a landing folder with the next day of every system")
    parser.add_argument("--ref", help="git revision to build beside this checkout")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench-daily-phase")
    parser.add_argument("--label", default="", help="what the warehouse is (scale x days), for the record")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    args.workdir = args.workdir.absolute()
    args.workdir.mkdir(parents=True, exist_ok=True)

    variants: dict[str, tuple[Path, tuple[str, ...], tuple[str, ...]]] = {}
    if args.ref:
        project, full_args = export_project(args.ref, args.workdir)
        runs_py = subprocess.run(["git", "show", f"{args.ref}:crmwh/dbt_runs.py"], cwd=REPO, check=True,
                                 capture_output=True, text=True).stdout
        variants["ref"] = (project, full_args, incremental_args(runs_py))
    variants["branch"] = (REPO / "dbt_project", dbt_runs.FULL_REFRESH_ARGS, dbt_runs.INCREMENTAL_ARGS)

    prepared: dict[str, Path] = {}
    full: dict[str, Measured] = {}
    full_nodes: dict[str, dict[str, object]] = {}
    for name, (project, full_args, _) in variants.items():
        prepared[name], full[name], full_nodes[name] = prepare(
            name, project, full_args, args.warehouse.absolute(), args.day.absolute(), args.workdir)

    daily: dict[str, list[Measured]] = {name: [] for name in variants}
    daily_nodes: dict[str, dict[str, object]] = {}
    for i in range(max(args.repeat, 1)):
        for name, (project, _, daily_args) in variants.items():
            copy = args.workdir / f"{name}.duckdb"
            shutil.copyfile(prepared[name], copy)
            measured, daily_nodes[name] = dbt_run(project, daily_args, copy)
            daily[name].append(measured)
            print(f"{name} daily run {i + 1}: {measured.seconds:.1f} s wall, {measured.cpu_seconds:.1f} s CPU, "
                  f"{measured.peak_rss_mb:.0f} MB peak, load {measured.load_avg:.1f}", flush=True)

    idle: dict[str, dict[str, object]] = {}
    for name, (project, _, daily_args) in variants.items():
        # the same command again, nothing new delivered: the fixed cost of a daily build
        measured, nodes = dbt_run(project, daily_args, args.workdir / f"{name}.duckdb")
        idle[name] = {**summary([measured]), "nodes": nodes["nodes"], "node_seconds_sum": nodes["node_seconds_sum"]}

    result: dict[str, object] = {
        "warehouse": args.label or str(args.warehouse),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg_end": os.getloadavg()[0],
                    "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "ref": args.ref,
        "full_build": {name: {**summary([m]), "nodes": full_nodes[name]["nodes"]} for name, m in full.items()},
        "daily_build": {name: {**summary(runs), **daily_nodes[name]} for name, runs in daily.items()},
        "daily_build_nothing_new": idle,
        "daily_vs_full": {
            name: {
                "wall": round(statistics.median(m.seconds for m in runs) / full[name].seconds, 3),
                "cpu": round(statistics.median(m.cpu_seconds for m in runs) / full[name].cpu_seconds, 3),
            }
            for name, runs in daily.items()
        },
    }
    for name, ratio in result["daily_vs_full"].items():  # type: ignore[union-attr]
        print(f"{name}: one-day build = {ratio['wall']:.1%} of the full build (wall), {ratio['cpu']:.1%} (CPU)")
    status = 0
    if "ref" in variants:
        prints = {name: marts_hash.warehouse_fingerprints(args.workdir / f"{name}.duckdb") for name in variants}
        diff = marts_hash.differences(prints["ref"], prints["branch"])
        result["marts_tables"] = {name: len(p) for name, p in prints.items()}
        result["marts_differences"] = diff
        for line in diff:
            print(f"DIFF {line}")
        print(f"marts after the daily build: {len(prints['branch'])} tables, {len(diff)} differ from {args.ref}")
        # the intermediate tables both revisions have (a new accumulator has no counterpart) must agree as well
        inter = {name: marts_hash.warehouse_fingerprints(args.workdir / f"{name}.duckdb", "intermediate")
                 for name in variants}
        common = inter["ref"].keys() & inter["branch"].keys()
        inter_diff = marts_hash.differences({k: inter["ref"][k] for k in common},
                                            {k: inter["branch"][k] for k in common})
        result["intermediate_compared"] = len(common)
        result["intermediate_differences"] = inter_diff
        for line in inter_diff:
            print(f"DIFF intermediate {line}")
        status = 1 if diff or inter_diff else 0
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
