"""The full dbt build of this checkout beside that of another git revision, on copies of one ingested warehouse.

    python -m bench.dbt_phase --warehouse INGESTED.duckdb --ref 7a2784d --repeat 1 --out bench/results-dbt-phase.json

Each run copies ``--warehouse`` (raw and audit only, as `crmwh ingest` leaves it), runs the dbt command `crmwh build`
would run for a full refresh (``FULL_REFRESH_ARGS`` of that revision's crmwh/dbt_runs.py) with that revision's
dbt_project, and records wall seconds, CPU seconds (user + system), peak memory, the load average when it started and
the number of nodes dbt ran (run_results.json). Revisions alternate; the last copy each built is kept
(``<workdir>/<label>.duckdb``) and its marts fingerprinted (bench/marts_hash.py): the two must be identical.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench import marts_hash
from bench.run import REPO, Measured, run_measured, summary

DBT = str(Path(sys.executable).with_name("dbt"))


def full_refresh_args(source: str) -> tuple[str, ...]:
    """The value of FULL_REFRESH_ARGS in the text of a crmwh/dbt_runs.py."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "FULL_REFRESH_ARGS" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise SystemExit("FULL_REFRESH_ARGS not found in crmwh/dbt_runs.py")


def export_project(ref: str, workdir: Path) -> tuple[Path, tuple[str, ...]]:
    """dbt_project of git revision ``ref`` under ``workdir``, and that revision's full-refresh dbt arguments."""
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout.strip()
    target = workdir / f"ref-{sha[:12]}"
    if not (target / "dbt_project").is_dir():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", sha, "dbt_project"], cwd=REPO, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    runs = subprocess.run(["git", "show", f"{sha}:crmwh/dbt_runs.py"], cwd=REPO, check=True, capture_output=True,
                          text=True).stdout
    return target / "dbt_project", full_refresh_args(runs)


def build_once(project: Path, args: tuple[str, ...], warehouse: Path, copy: Path,
               extra_env: dict[str, str] | None = None) -> tuple[Measured, dict[str, int]]:
    shutil.copyfile(warehouse, copy)
    env = {"CRMWH_DBT_DATABASE": str(copy), "DO_NOT_TRACK": "1", **(extra_env or {})}
    target = copy.with_suffix(".target")
    measured = run_measured([DBT, *args, "--quiet", "--project-dir", str(project), "--profiles-dir", str(project),
                             "--target-path", str(target)], env=env, cwd=project)
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    kinds = Counter(r["unique_id"].split(".")[0] for r in results)
    return measured, {"nodes": len(results), **dict(sorted(kinds.items()))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dbt_phase", description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="an ingested warehouse (raw + audit)")
    parser.add_argument("--ref", help="git revision to build beside this checkout")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench-dbt-phase")
    parser.add_argument("--label", default="", help="what the warehouse is (scale x days), for the record")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:VAR=VALUE,...",
                        help="also build this checkout with these environment variables (repeatable), e.g. "
                             "dbt1:CRMWH_DBT_THREADS=1")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    args.workdir = args.workdir.absolute()
    args.warehouse = args.warehouse.absolute()
    args.workdir.mkdir(parents=True, exist_ok=True)

    variants: dict[str, tuple[Path, tuple[str, ...]]] = {}
    envs: dict[str, dict[str, str]] = {}
    if args.ref:
        variants["ref"] = export_project(args.ref, args.workdir)
    here = (REPO / "crmwh" / "dbt_runs.py").read_text(encoding="utf-8")
    variants["branch"] = (REPO / "dbt_project", full_refresh_args(here))
    for spec in args.variant:
        name, _, assignments = spec.partition(":")
        variants[name] = variants["branch"]
        envs[name] = dict(a.split("=", 1) for a in assignments.split(",") if a)

    runs: dict[str, list[Measured]] = {name: [] for name in variants}
    nodes: dict[str, dict[str, int]] = {}
    for i in range(args.repeat):
        for name, (project, dbt_args) in variants.items():
            copy = args.workdir / f"{name}.duckdb"
            measured, counted = build_once(project, dbt_args, args.warehouse, copy, envs.get(name))
            runs[name].append(measured)
            nodes[name] = counted
            print(f"{name} run {i + 1}: {measured.seconds:.1f} s wall, {measured.cpu_seconds:.1f} s CPU, "
                  f"{measured.peak_rss_mb:.0f} MB peak, load {measured.load_avg:.1f}, {counted}", flush=True)

    prints = {name: marts_hash.warehouse_fingerprints(args.workdir / f"{name}.duckdb") for name in variants}
    result: dict[str, object] = {
        "warehouse": args.label or str(args.warehouse),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg_end": os.getloadavg()[0],
                    "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "ref": args.ref,
        "dbt_args": {name: " ".join(v[1]) for name, v in variants.items()},
        "env": envs,
        "nodes": nodes,
        "dbt_build": {name: summary(r) for name, r in runs.items()},
        "marts_tables": {name: len(p) for name, p in prints.items()},
    }
    status = 0
    if "ref" in prints:
        diff = marts_hash.differences(prints["ref"], prints["branch"])
        result["marts_differences"] = diff
        result["marts_type_changes"] = marts_hash.type_changes(prints["ref"], prints["branch"])
        for line in diff:
            print(f"DIFF {line}")
        print(f"marts: {len(prints['branch'])} tables, {len(diff)} differ from {args.ref}")
        status = 1 if diff else 0
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
