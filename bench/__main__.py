"""``make bench`` (``python -m bench``): the benchmark, run from a source checkout; figures printed and written to JSON.

A developer tool beside the tests, not a ``crmwh`` command: it drives ``crmwh`` the way a user does and reuses the test
harnesses to start Superset.
"""

from __future__ import annotations

from pathlib import Path

import click

from bench import run as bench_run


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
@click.option("--out", type=click.Path(path_type=Path), default=bench_run.REPO / "bench" / "results.json",
              show_default=True, help="JSON file for the figures.")
@click.option("--scales", envvar="BENCH_SCALES", show_envvar=True, default="0.1,1", show_default=True,
              help="Comma-separated scales.")
@click.option("--days", type=int, envvar="BENCH_DAYS", show_envvar=True, default=365, show_default=True,
              help="Business days per bank.")
@click.option("--repeat", type=int, envvar="BENCH_REPEAT", show_envvar=True, default=3, show_default=True,
              help="Side-by-side repetitions; medians are reported.")
@click.option("--sections", envvar="BENCH_SECTIONS", show_envvar=True,
              default="ingest,postgres,build,superset,incremental", show_default=True,
              help="Which figures: ingest (always: the floor and crmwh ingest), postgres (the PostgreSQL peer: COPY "
                   "load and the contribution query, and the same query on DuckDB), build, superset, incremental.")
@click.option("--ref", envvar="BENCH_REF", show_envvar=True, default=None,
              help="A git revision whose loader runs side by side with this one (e.g. main), as ingest_ref.")
@click.option("--pg", "pg_dsn", envvar="BENCH_PG", show_envvar=True, default=bench_run.pg.DEFAULT_DSN,
              show_default=True, help="libpq connection string of the PostgreSQL server (no dbname; trust auth).")
@click.option("--incremental", envvar="BENCH_INCREMENTAL", show_envvar=True, default="1:30,1:300",
              show_default=True, help="SCALE:HISTORY_DAYS pairs for the incremental section.")
def bench(out: Path, scales: str, days: int, repeat: int, sections: str, ref: str | None, pg_dsn: str,
          incremental: str) -> None:
    """Measure the pipeline (`make bench`) from a source checkout; figures printed and written to a JSON file."""
    bench_run.run(
        out=out,
        scales=[float(s) for s in scales.split(",") if s.strip()],
        days=days,
        repeat=repeat,
        sections={s.strip() for s in sections.split(",") if s.strip()},
        incremental=[(float(s), int(d)) for s, d in (p.split(":") for p in incremental.split(",") if p.strip())],
        ref=ref,
        pg_dsn=pg_dsn,
    )

if __name__ == "__main__":
    bench()
