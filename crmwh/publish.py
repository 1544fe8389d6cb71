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


# The version being served and the one served before it are kept: a reader that resolved the link just before a swap
# still finds its file, and `crmwh restore` can go back to it. Every other file in the versions folder is deleted,
# including a version a crashed publish left behind without ever serving it (an open reader keeps reading a deleted
# file; only new opens need the name).
VERSION_MODE = 0o640
VERSIONS_DIR_MODE = 0o750


def resolve_served(served: Path) -> Path:
    """The file the served path stands for now (itself when it is a plain file, as before the first publish)."""
    return Path(os.path.realpath(served))


def lock_path(served: Path) -> Path:
    return served.with_name(served.name + ".lock")


@contextmanager
def build_lock(served: Path, command: str = "build") -> Iterator[None]:
    """One writer at a time per served file: every command that changes the warehouse (build, ingest, validate,
    withdraw, restore) holds it; a second one fails at once instead of writing beside the first.

    The lock is an ``flock`` on ``<served>.lock``: the kernel drops it when its process dies however it dies, so a
    killed build never leaves a stale lock. The holder's pid and command are written into the file for the message
    the next writer gets.
    """
    lock_file = lock_path(served)
    try:
        served.parent.mkdir(parents=True, exist_ok=True)
        fh = os.fdopen(os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o640), "r+")
    except OSError as exc:
        raise PublishError(_cannot_write(served.parent, exc)) from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = fh.read().strip() or "unknown process"
            raise PublishError(
                f"another command is changing {served} ({holder}); wait for it to finish (lock {lock_file})"
            ) from None
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}, crmwh {command}")
            fh.flush()
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def _cannot_write(folder: Path, exc: OSError) -> str:
    return (f"cannot write in the warehouse folder {folder}: {exc.strerror or exc} "
            f"({getattr(exc, 'filename', None) or folder}); it must be writable by the user running crmwh")


@contextmanager
def private_copy(served: Path, command: str) -> Iterator[Path]:
    """The one way to change the warehouse: under the lock, on a working copy, published when the block ends.

    The block may raise :class:`Unchanged` to leave without publishing (nothing to change); any other exception
    discards the copy and the served warehouse stays as it was.
    """
    with build_lock(served, command):
        work = prepare_work_copy(served)
        try:
            yield work
        except Unchanged:
            discard(work)
            return
        except BaseException:
            discard(work)
            raise
        publish(work, served)


class Unchanged(Exception):
    """Raised inside :func:`private_copy` when the command changed nothing: no new version is published."""


def prepare_work_copy(served: Path) -> Path:
    """A private working copy of the served warehouse (or a fresh path when nothing has been published yet)."""
    work = work_path(served)
    for leftover in (work, wal_path(work)):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(spill_path(work), ignore_errors=True)
    if served.exists():
        for wal in dict.fromkeys((wal_path(served), wal_path(resolve_served(served)))):
            if wal.exists():
                raise PublishError(
                    f"{wal} exists: something wrote to the served file without checkpointing; "
                    "stop it and remove the .wal (or publish again) before building"
                )
        try:
            copy_file(resolve_served(served), work)
        except OSError as exc:
            raise PublishError(_cannot_write(served.parent, exc)) from None
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
    previous = resolve_served(served) if served.is_symlink() else None
    try:
        version = _swap_in(work, served)
    except OSError as exc:
        raise PublishError(_cannot_write(served.parent, exc)) from None
    _prune_versions(served, keep={version.name, *([previous.name] if previous else [])})
    return version


def _swap_in(work: Path, served: Path) -> Path:
    versions = versions_dir(served)
    versions.mkdir(exist_ok=True)
    version = _new_version_path(served)
    # The warehouse holds customers' data: readable by the owner and the group Superset runs in, nobody else.
    os.chmod(work, VERSION_MODE)
    os.chmod(versions, VERSIONS_DIR_MODE)
    os.replace(work, version)
    _swing_link(served, version)
    for folder in (versions, served.parent):
        _fsync_dir(folder)  # the renames themselves survive a crash
    _log_served(served, version)
    return version


def _swing_link(served: Path, version: Path) -> None:
    link = served.with_name(served.name + ".swap")
    link.unlink(missing_ok=True)
    link.symlink_to(version.relative_to(served.parent))  # relative: the warehouse folder can be moved whole
    os.replace(link, served)


SERVED_LOG = "served.log"


def _log_served(served: Path, version: Path) -> None:
    """One line per version made the served one (publish or restore): when, and which file."""
    with (versions_dir(served) / SERVED_LOG).open("a", encoding="utf-8") as log:
        log.write(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}\t{version.name}\n")


def served_history(served: Path) -> list[tuple[str, str]]:
    """(UTC time, version file name) of every version served, oldest first."""
    log = versions_dir(served) / SERVED_LOG
    if not log.exists():
        return []
    return [tuple(line.split("\t", 1)) for line in log.read_text(encoding="utf-8").splitlines()  # type: ignore[misc]
            if "\t" in line]


def previous_version(served: Path) -> Path | None:
    """The version served before the current one, if its file is still there."""
    current = resolve_served(served).name
    for _, name in reversed(served_history(served)):
        candidate = versions_dir(served) / name
        if name != current and candidate.exists():
            return candidate
    return None


def restore_previous(served: Path) -> tuple[Path, Path]:
    """Serve the previous version again (under the lock); returns (version served until now, version restored).

    Nothing is deleted: the version it replaces stays as the previous one, so a restore can itself be undone.
    """
    with build_lock(served, "restore"):
        if not served.is_symlink():
            raise PublishError(f"{served} is not a published version link: there is no previous version to restore")
        current = versions_dir(served) / resolve_served(served).name
        previous = previous_version(served)
        if previous is None:
            raise PublishError(f"no previous version of {served} is left to restore")
        if wal_path(previous).exists():
            raise PublishError(f"{wal_path(previous)} exists: {previous.name} was written after it was served")
        try:
            _swing_link(served, previous)
            _fsync_dir(served.parent)
            _log_served(served, previous)
        except OSError as exc:
            raise PublishError(_cannot_write(served.parent, exc)) from None
        return current, previous


def _new_version_path(served: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    for n in itertools.count():
        candidate = versions_dir(served) / f"{served.stem}.{stamp}{f'-{n}' if n else ''}{served.suffix}"
        if not candidate.exists():
            return candidate
    raise AssertionError("unreachable")


def list_versions(served: Path) -> list[Path]:
    """The version files in the versions folder, oldest first (the stamp sorts by time)."""
    folder = versions_dir(served)
    return sorted(folder.glob(f"{served.stem}.*{served.suffix}")) if folder.is_dir() else []


def _prune_versions(served: Path, keep: set[str]) -> None:
    """Delete every version but those named in ``keep`` (the one served now and the one served before it): never by
    age, so a version that a crashed publish left behind unserved cannot push the previous served one out. Names,
    not paths: the link resolves through any symbolic link in the warehouse folder's own path."""
    for old in list_versions(served):
        if old.name not in keep:
            for path in (old, wal_path(old)):
                path.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def spill_path(database: Path) -> Path:
    """The folder DuckDB spills to beyond its memory limit while dbt builds ``database`` (dbt_project/profiles.yml)."""
    return database.with_name(database.name + ".tmp")


def discard(work: Path) -> None:
    for path in (work, wal_path(work)):
        path.unlink(missing_ok=True)
    shutil.rmtree(spill_path(work), ignore_errors=True)
