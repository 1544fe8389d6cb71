"""Atomic publishing of the warehouse file.

DuckDB allows one writer per file, and a writer holding the served file makes every Superset query fail. So a build
never writes the served file: it copies it to a working file, builds there, checkpoints and closes it, and then
publishes it. A failed build leaves the last good warehouse in place.

Each published warehouse gets a file name of its own (``<stem>.versions/<stem>.<stamp>.duckdb``) and the served path
is a symbolic link that ``os.replace`` swings to it (atomic on one filesystem). Why not rename the file itself over the
served path: DuckDB keeps one open database per path in a process and hands it to every new connection on that path;
a long-lived reader (Superset's workers) could then meet two different files under one name across a swap, and under
load that surfaced as a metadata read error. With a name per version, a reader that resolves the link
(``resolve_served``, used by Superset's connection hook) opens the new version as a new database while queries on the
old one finish on theirs. The previous version is kept for such late readers; older ones are removed.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from contracts.errors import CrmwhError


class PublishError(CrmwhError):
    """The warehouse could not be prepared or published; the served file is unchanged."""


def wal_path(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def work_path(served: Path) -> Path:
    return served.with_name(served.stem + ".building" + served.suffix)


def versions_dir(served: Path) -> Path:
    return served.with_name(served.stem + ".versions")


# The version being served and the one before it: a reader that resolved the link just before a swap still finds its
# file. Older versions are deleted (an open reader keeps reading a deleted file; only new opens need the name).
KEEP_VERSIONS = 2
VERSION_MODE = 0o640
VERSIONS_DIR_MODE = 0o750


def resolve_served(served: Path) -> Path:
    """The file the served path stands for now (itself when it is a plain file, as before the first publish)."""
    return Path(os.path.realpath(served))


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
        for wal in dict.fromkeys((wal_path(served), wal_path(resolve_served(served)))):
            if wal.exists():
                raise PublishError(
                    f"{wal} exists: something wrote to the served file without checkpointing; "
                    "stop it and remove the .wal (or publish again) before building"
                )
        copy_file(resolve_served(served), work)
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


def publish(work: Path, served: Path) -> Path:
    """Make the finished working file the served warehouse; returns the version file it became."""
    if not work.exists():
        raise PublishError(f"nothing to publish: {work} does not exist")
    checkpoint_and_close(work)
    versions = versions_dir(served)
    versions.mkdir(exist_ok=True)
    version = _new_version_path(served)
    # The warehouse holds customers' data: readable by the owner and the group Superset runs in, nobody else.
    os.chmod(work, VERSION_MODE)
    os.chmod(versions, VERSIONS_DIR_MODE)
    os.replace(work, version)
    link = served.with_name(served.name + ".swap")
    link.unlink(missing_ok=True)
    link.symlink_to(version.relative_to(served.parent))  # relative: the warehouse folder can be moved whole
    os.replace(link, served)
    for folder in (versions, served.parent):
        _fsync_dir(folder)  # the renames themselves survive a crash
    _prune_versions(served)
    return version


def _new_version_path(served: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    for n in itertools.count():
        candidate = versions_dir(served) / f"{served.stem}.{stamp}{f'-{n}' if n else ''}{served.suffix}"
        if not candidate.exists():
            return candidate
    raise AssertionError("unreachable")


def _prune_versions(served: Path) -> None:
    current = resolve_served(served)
    files = sorted(versions_dir(served).glob(f"{served.stem}.*{served.suffix}"))  # the stamp sorts by time
    for old in [f for f in files if f != current][: max(0, len(files) - KEEP_VERSIONS)]:
        for path in (old, wal_path(old)):
            path.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def discard(work: Path) -> None:
    for path in (work, wal_path(work)):
        path.unlink(missing_ok=True)
