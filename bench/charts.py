"""Chart-data latency over every chart of every dashboard, on a throw-away Superset over a built warehouse.

    .venv/bin/python -m bench.charts --warehouse var/warehouse/crmwh.duckdb [--rounds 3] [--json out.json]

Starts Superset through the harness (same entry point as ``make serve``, assets imported), logs in as the admin,
requests ``/api/v1/chart/<id>/data/?force=true`` for each dashboard chart ``rounds`` times and prints p50/p95
(nearest rank) in milliseconds. Exit 1 when a chart fails or returns no rows.

The wall clock of a request on a shared machine says as much about the machine's load as about the chart, so each
chart's SQL (what Superset sends, ``?type=query``) is also run ``rounds`` times straight on the warehouse, read-only,
with the CPU seconds of the process beside the wall time (``database``): the CPU a chart costs, whatever the load.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from tests.support import superset_harness as harness


def measure(api: harness.SupersetClient, rounds: int = 1) -> dict[str, Any]:
    boards = api.get("/api/v1/dashboard/", q="(page_size:100)")["result"]
    charts = [
        (board["dashboard_title"], chart)
        for board in boards
        for chart in api.get(f"/api/v1/dashboard/{board['id']}/charts")["result"]
    ]
    latencies: list[float] = []
    by_chart: dict[str, list[float]] = {}
    failures: list[str] = []
    for _ in range(rounds):
        for title, chart in charts:
            started = time.perf_counter()
            answer = api.session.get(
                f"{api.base_url}/api/v1/chart/{chart['id']}/data/", params={"force": "true"}, timeout=api.timeout
            )
            latencies.append(time.perf_counter() - started)
            by_chart.setdefault(f"{title}/{chart['slice_name']}", []).append(latencies[-1])
            result = answer.json().get("result", [{}])[0] if answer.status_code == 200 else {}
            if answer.status_code != 200 or result.get("error") or not result.get("rowcount"):
                failures.append(f"{title}/{chart['slice_name']}: HTTP {answer.status_code} {answer.text[:200]}")
    ordered = sorted(latencies)
    return {
        "dashboards": len(boards),
        "charts": len(charts),
        "requests": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
        "p95_ms": round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] * 1000, 1) if ordered else None,
        "failures": failures,
        # where the time goes: the charts with the slowest median answer
        "slowest_ms": {
            name: round(statistics.median(times) * 1000, 1)
            for name, times in sorted(by_chart.items(), key=lambda kv: -statistics.median(kv[1]))[:8]
        },
    }


def _nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def chart_queries(api: harness.SupersetClient) -> dict[str, str]:
    """Each dashboard chart's SQL as Superset sends it to the database (admin: no row-level filter)."""
    queries: dict[str, str] = {}
    for board in api.get("/api/v1/dashboard/", q="(page_size:100)")["result"]:
        for chart in api.get(f"/api/v1/dashboard/{board['id']}/charts")["result"]:
            answer = api.session.get(
                f"{api.base_url}/api/v1/chart/{chart['id']}/data/", params={"type": "query"}, timeout=api.timeout
            )
            if answer.status_code == 200:
                for i, result in enumerate(answer.json().get("result", [])):
                    if result.get("query"):
                        queries[f"{board['dashboard_title']}/{chart['slice_name']}#{i}"] = result["query"]
    return queries


def database_times(warehouse: Path, queries: dict[str, str], rounds: int) -> dict[str, Any]:
    """Wall and CPU seconds of each query on the warehouse opened read-only, as Superset opens it (every core)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, sql in queries.items():
            cpu_started, started = time.process_time(), time.perf_counter()
            con.execute(sql).fetchall()
            wall.setdefault(name, []).append(time.perf_counter() - started)
            cpu.setdefault(name, []).append(time.process_time() - cpu_started)
    con.close()
    all_wall = [s for times in wall.values() for s in times]
    all_cpu = [s for times in cpu.values() for s in times]
    slowest = sorted(cpu, key=lambda name: -statistics.median(cpu[name]))[:8]
    return {
        "queries": len(queries),
        "wall_p50_ms": round(statistics.median(all_wall) * 1000, 1) if all_wall else None,
        "wall_p95_ms": round(_nearest_rank(all_wall, 0.95) * 1000, 1) if all_wall else None,
        "cpu_p50_ms": round(statistics.median(all_cpu) * 1000, 1) if all_cpu else None,
        "cpu_p95_ms": round(_nearest_rank(all_cpu, 0.95) * 1000, 1) if all_cpu else None,
        "slowest_cpu_ms": {
            name: {
                "cpu": round(statistics.median(cpu[name]) * 1000, 1),
                "wall": round(statistics.median(wall[name]) * 1000, 1),
            }
            for name in slowest
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.charts", description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        print(f"{args.warehouse}: no such warehouse (run crmwh build first)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="crmwh-superset-bench-") as work:
        server = harness.start_superset(Path(work), args.warehouse.absolute())
        try:
            client = server.client()
            figures = measure(client, args.rounds)
            queries = chart_queries(client)
        finally:
            server.stop()
    figures["startup_s"] = round(server.startup_s, 1)
    figures["load_avg"] = [round(x, 2) for x in os.getloadavg()]
    figures["database"] = database_times(args.warehouse.absolute(), queries, args.rounds)
    text = json.dumps(figures, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
