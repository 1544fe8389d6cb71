"""Atomic publishing of the warehouse file.

DuckDB allows one writer per file, and a writer holding the served file makes every Superset query fail. So a build
never writes the served file: it copies it to a working file, builds there, checkpoints and closes it, and then swaps it
over the served file with ``os.replace`` (atomic on one filesystem). Readers that open the file after the swap see the
new warehouse; a failed build leaves the last good one in place.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


class PublishError(RuntimeError):
    """The warehouse could not be prepared or published; the served file is unchanged."""


def wal_path(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def work_path(served: Path) -> Path:
    return served.with_name(served.stem + ".building" + served.suffix)


@contextmanager
def build_lock(served: Path) -> Iterator[None]:
    """One build at a time per served file (a second one fails at once instead of corrupting the first)."""
    served.parent.mkdir(parents=True, exist_ok=True)
    lock_file = served.with_name(served.name + ".lock")
    with lock_file.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishError(f"another build of {served} is running (lock {lock_file})") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def prepare_work_copy(served: Path) -> Path:
    """A private working copy of the served warehouse (or a fresh path when nothing has been published yet)."""
    work = work_path(served)
    for leftover in (work, wal_path(work)):
        leftover.unlink(missing_ok=True)
    if served.exists():
        if wal_path(served).exists():
            raise PublishError(
                f"{wal_path(served)} exists: something wrote to the served file without checkpointing; "
                "stop it and remove the .wal (or publish again) before building"
            )
        copy_file(served, work)
    return work


def copy_file(src: Path, dst: Path) -> None:
    # A copy-on-write clone is instant where the filesystem supports it; otherwise this is a plain copy.
    result = subprocess.run(["cp", "--reflink=auto", str(src), str(dst)], capture_output=True, text=True)
    if result.returncode != 0:
        shutil.copyfile(src, dst)


def checkpoint_and_close(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if wal_path(db).exists():
        raise PublishError(f"{wal_path(db)} is still there after CHECKPOINT; refusing to publish a file that needs it")


def publish(work: Path, served: Path) -> None:
    """Swap the finished working file over the served one."""
    if not work.exists():
        raise PublishError(f"nothing to publish: {work} does not exist")
    checkpoint_and_close(work)
    os.replace(work, served)
    dir_fd = os.open(served.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a crash
    finally:
        os.close(dir_fd)


def discard(work: Path) -> None:
    for path in (work, wal_path(work)):
        path.unlink(missing_ok=True)
