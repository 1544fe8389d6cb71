"""Control files (标志文件): one per data file, saying how many records, bytes and which MD5 the data file has."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from contracts.contract import control_name_for
from contracts.errors import CrmwhError

_CHUNK = 8 * 1024 * 1024


class ControlFileError(CrmwhError, ValueError):
    """A control file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class ControlRecord:
    file_name: str
    business_date: date
    record_count: int
    byte_size: int
    md5: str

    def render(self) -> str:
        day = self.business_date.strftime("%Y%m%d")
        return "|".join([self.file_name, day, str(self.record_count), str(self.byte_size), self.md5]) + "\n"

    @classmethod
    def parse(cls, text: str, source: str) -> ControlRecord:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) != 1:
            raise ControlFileError(f"{source}: expected one line, found {len(lines)}")
        parts = lines[0].strip().split("|")
        if len(parts) != 5:
            raise ControlFileError(
                f"{source}: expected 5 '|'-separated fields "
                f"(file_name|business_date|record_count|byte_size|md5), found {len(parts)}"
            )
        name, day, count, size, md5 = parts
        try:
            business_date = date(int(day[:4]), int(day[4:6]), int(day[6:8]))
            if len(day) != 8:
                raise ValueError
        except ValueError:
            raise ControlFileError(f"{source}: business date {day!r} is not YYYYMMDD") from None
        if not count.isdigit() or not size.isdigit():
            raise ControlFileError(f"{source}: record count {count!r} and byte size {size!r} must be whole numbers")
        md5 = md5.lower()
        if len(md5) != 32 or any(ch not in "0123456789abcdef" for ch in md5):
            raise ControlFileError(f"{source}: {md5!r} is not an MD5 hex digest")
        return cls(name, business_date, int(count), int(size), md5)


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_control_file(data_path: Path, business_date: date, record_count: int) -> ControlRecord:
    """Write the control file beside ``data_path`` describing it as it is now on disk."""
    record = ControlRecord(
        file_name=data_path.name,
        business_date=business_date,
        record_count=record_count,
        byte_size=data_path.stat().st_size,
        md5=file_md5(data_path),
    )
    (data_path.parent / control_name_for(data_path.name)).write_text(record.render(), encoding="ascii")
    return record


def read_control_file(path: Path) -> ControlRecord:
    if not path.exists():
        raise ControlFileError(f"{path.name}: control file missing")
    try:
        text = path.read_text(encoding="ascii")
    except (UnicodeDecodeError, OSError) as exc:
        raise ControlFileError(f"{path.name}: unreadable ({exc})") from exc
    return ControlRecord.parse(text, path.name)
