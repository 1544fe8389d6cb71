"""The landing area: which deliveries it holds, in which order they load, and the identity of their files.

Only real folders and regular files are deliveries: a symbolic link is refused, never followed (its target may change
or vanish after the audit recorded it), and a name that is not valid UTF-8 is shown with its bytes escaped.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from contracts.contract import Contract, ContractSet
from contracts.errors import CrmwhError

_DATE_DIR = re.compile(r"^\d{8}$")


class IngestError(CrmwhError):
    """The ingest run cannot start (bad landing path, unknown system)."""


@dataclass(frozen=True)
class Delivery:
    system: str
    business_date: date
    path: Path

    @property
    def label(self) -> str:
        return f"{self.system} {self.business_date:%Y-%m-%d}"


def discover(landing: Path, contracts: ContractSet, systems: Sequence[str] | None) -> tuple[list[Delivery], list[str]]:
    """Deliveries under ``landing`` in load order, and warnings about folders that are not deliveries."""
    landing = landing.resolve()
    if not landing.is_dir():
        raise IngestError(f"landing area {landing} does not exist or is not a folder")
    wanted = list(contracts.systems)
    if systems:
        unknown = [s for s in systems if s not in contracts.systems]
        if unknown:
            raise IngestError(f"unknown system(s) {', '.join(unknown)}; the contracts define {', '.join(wanted)}")
        wanted = [s for s in wanted if s in systems]
    order = {s: i for i, s in enumerate(contracts.systems)}
    deliveries: list[Delivery] = []
    warnings: list[str] = []
    for system in wanted:
        system_dir = landing / system
        if not system_dir.is_dir():
            continue
        if not contracts.bank_has(system):
            warnings.append(f"{shown(system_dir)}: the bank profile has no system {system} "
                            "(contracts/bank.yaml `systems`), not loaded")
            continue
        for entry in sorted(system_dir.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                warnings.append(f"{shown(entry)}: a symbolic link, not loaded: the landing area takes only real "
                                "folders and files (copy the delivery in)")
                continue
            day = parse_day(entry.name) if entry.is_dir() and _DATE_DIR.match(entry.name) else None
            if day is None:
                warnings.append(f"{shown(entry)}: not a delivery folder (<system>/<YYYYMMDD>/), ignored")
                continue
            if not os.access(entry, os.R_OK | os.X_OK):
                warnings.append(f"{shown(entry)}: the delivery folder cannot be read (permissions), not loaded")
                continue
            deliveries.append(Delivery(system, day, entry))
    deliveries.sort(key=lambda d: (d.business_date, order[d.system]))
    return deliveries, warnings


def parse_day(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def expected_contracts(contracts: ContractSet, delivery: Delivery) -> list[Contract]:
    """The extracts the delivery carries, in load order: those delivered on its date, less the ones sent only on
    change whose data file and control file are both absent (unchanged that day)."""
    day = delivery.business_date
    return [c for c in contracts.load_order(delivery.system) if c.delivered_on(day)
            and not (c.on_change and not (delivery.path / c.file_name(day)).exists()
                     and not (delivery.path / c.control_file_name(day)).exists())]


def entries(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if not p.name.startswith("."))


def shown(path: Path | str) -> str:
    """A path as printable text: the bytes of a name that is not valid UTF-8 (a GBK name) escaped as \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def shown_name(path: Path) -> str:
    return shown(path.name)


def entry_problem(path: Path) -> str | None:
    """Why ``path`` cannot be part of a delivery, or None for a regular file with a printable name."""
    name = shown_name(path)
    if name != path.name:
        return f"{name}: the file name is not valid UTF-8 (bytes shown as \\x..): rename it"
    try:
        st = path.lstat()
    except OSError as exc:
        return f"{name}: cannot be read ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return f"{name}: {link_text(path)}"
    if stat.S_ISDIR(st.st_mode):
        return f"{name}: unexpected folder inside the delivery"
    if not stat.S_ISREG(st.st_mode):
        return f"{name}: not a regular file"
    return None


def link_text(path: Path) -> str:
    try:
        target = shown(os.readlink(path))
    except OSError:
        target = "?"
    return (f"a symbolic link (to {target}): the landing area takes only regular files, a link is not followed "
            "(copy the file in)")


def regular_size(path: Path) -> int | None:
    """The size of a regular file, not following a link; None for anything else."""
    try:
        st = path.lstat()
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def content_md5(path: Path) -> str | None:
    """MD5 of a regular file's bytes (a link is not followed); None for anything else."""
    if regular_size(path) is None:
        return None
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()


def fingerprint(path: Path, known: Mapping[str, tuple[int, str]] | None = None) -> str:
    """The delivery's content: names, kinds, sizes and MD5s of its entries. Modification times play no part: archives
    unpacked with fixed timestamps give a changed file its old size and time. ``known``: (size, MD5) of files already
    read (by their checks), by name, so that they are not read again."""
    digest = hashlib.sha256()
    for entry in entries(path):
        size_md5 = (known or {}).get(entry.name)
        md5 = size_md5[1] if size_md5 is not None and not entry.is_symlink() else content_md5(entry)
        if md5 is not None:
            kind = f"f\0{size_md5[0] if size_md5 is not None else regular_size(entry)}\0{md5}"
        elif entry.is_symlink():
            kind = "l\0" + shown(os.readlink(entry))
        else:
            kind = "o"
        digest.update(f"{shown_name(entry)}\0{kind}\n".encode())
    return digest.hexdigest()
