"""Child processes of a build (dbt) die with it: a kill -9 of `crmwh build` must not leave dbt writing on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crmwh.settings import REPO_ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux only")

PARENT = """
import sys
from crmwh.build import run_child
run_child(["sh", "-c", "echo $$ > {pidfile}; exec sleep 300"])
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def _wait_for(predicate: object, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_a_killed_build_takes_its_child_with_it(tmp_path: Path) -> None:
    """Issue 13.13: kill -9 of the build's main process left dbt running."""
    pidfile = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", PARENT.format(pidfile=pidfile)], cwd=REPO_ROOT)
    try:
        assert _wait_for(lambda: pidfile.exists() and pidfile.read_text().strip())
        child = int(pidfile.read_text())
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert _wait_for(lambda: not _alive(child)), f"child {child} outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
        if pidfile.exists() and pidfile.read_text().strip() and _alive(int(pidfile.read_text())):
            os.kill(int(pidfile.read_text()), signal.SIGKILL)


HOLDER = """
import sys, time
from pathlib import Path
from crmwh import publish
with publish.build_lock(Path(sys.argv[1]), "build"):
    Path(sys.argv[2]).write_text("locked")
    time.sleep(300)
"""


def test_a_killed_writer_leaves_no_stale_lock(tmp_path: Path) -> None:
    """Issue 13.13: after a kill -9 of the build the next one must not fail on its lock."""
    from crmwh import publish

    served, ready = tmp_path / "wh.duckdb", tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(served), str(ready)], cwd=REPO_ROOT)
    try:
        assert _wait_for(ready.exists)
        with pytest.raises(publish.PublishError, match=rf"pid {holder.pid}, crmwh build"), publish.build_lock(served):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        with publish.build_lock(served, "build"):  # the kernel released the killed holder's lock
            pass
    finally:
        if holder.poll() is None:
            holder.kill()


def test_dbt_runs_as_a_child_that_dies_with_the_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from crmwh import build

    seen: list[list[str]] = []

    def fake_run_child(cmd: list[str], **_kwargs: object) -> subprocess.CompletedProcess[str]:
        seen.append(list(cmd))
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(build, "run_child", fake_run_child)
    build.run_dbt(tmp_path / "wh.duckdb", ["build"], quiet=True)
    assert len(seen) == 1 and seen[0][1] == "build"
