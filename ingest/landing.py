"""The landing area: which deliveries it holds, in which order they load, and a cheap identity of their files."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
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
        for entry in sorted(system_dir.iterdir()):
            if entry.name.startswith("."):
                continue
            day = parse_day(entry.name) if entry.is_dir() and _DATE_DIR.match(entry.name) else None
            if day is None:
                warnings.append(f"{entry}: not a delivery folder (<system>/<YYYYMMDD>/), ignored")
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
    return [c for c in contracts.load_order(delivery.system) if c.delivered_on(delivery.business_date)]


def entries(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if not p.name.startswith("."))


def fingerprint(path: Path) -> str:
    """Names, sizes and modification times of a delivery's files: equal fingerprints mean untouched files."""
    digest = hashlib.sha256()
    for entry in entries(path):
        st = entry.stat()
        kind = "d" if entry.is_dir() else "f"
        digest.update(f"{entry.name}\0{kind}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


