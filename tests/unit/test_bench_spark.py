"""The pure helpers of bench/spark.py: reading /proc/<pid>/stat, a process's descendants, a model's partition column."""

from __future__ import annotations

import os

from bench.spark import descendants, linear_fit, parse_proc_stat, partition_column


def _stat_line(pid: int, comm: str, ppid: int, utime: int, stime: int, rss: int) -> str:
    # fields 3..24 of proc(5): state, ppid, pgrp, session, tty_nr, tpgid, flags, minflt, cminflt, majflt, cmajflt,
    # utime, stime, cutime, cstime, priority, nice, num_threads, itrealvalue, starttime, vsize, rss
    fields = ["S", ppid, 1, 1, 0, -1, 0, 0, 0, 0, 0, utime, stime, 999, 999, 20, 0, 1, 0, 100, 4096, rss, 0]
    return f"{pid} ({comm}) " + " ".join(str(f) for f in fields) + "\n"


def test_parse_proc_stat_counts_fields_after_the_last_parenthesis() -> None:
    stat = parse_proc_stat(_stat_line(4242, "java (spark) x", 17, utime=150, stime=30, rss=2048))
    assert (stat.pid, stat.ppid, stat.cpu_ticks, stat.rss_pages) == (4242, 17, 180, 2048)


def test_parse_proc_stat_reads_this_process() -> None:
    with open(f"/proc/{os.getpid()}/stat", encoding="utf-8") as handle:
        stat = parse_proc_stat(handle.read())
    assert stat.pid == os.getpid() and stat.ppid == os.getppid() and stat.rss_pages > 0


def test_descendants_walks_the_whole_tree_below_the_root_only() -> None:
    parents = {10: 1, 11: 10, 12: 11, 13: 10, 20: 1, 21: 20}
    assert descendants(parents, 10) == {11, 12, 13}
    assert descendants(parents, 12) == set()


def test_partition_column_prefers_the_month_then_any_date() -> None:
    assert partition_column([("party_id", "BIGINT"), ("business_date", "DATE"), ("month_end", "DATE")]) == "month_end"
    assert partition_column([("x", "VARCHAR"), ("opened_on", "DATE")]) == "opened_on"
    assert partition_column([("month_end", "VARCHAR")]) is None


def test_linear_fit_recovers_a_fixed_and_a_per_row_cost() -> None:
    fixed, per_row = linear_fit([(0.0, 2.0), (1000.0, 3.0), (3000.0, 5.0)])
    assert abs(fixed - 2.0) < 1e-9 and abs(per_row - 0.001) < 1e-12
    assert linear_fit([(5.0, 1.0), (5.0, 3.0)]) == (2.0, 0.0)
