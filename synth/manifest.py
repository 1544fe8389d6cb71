"""The manifest of true totals a generation run writes to ``<out>/_manifest.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "_manifest.json"


@dataclass
class FileEntry:
    system: str
    extract: str
    business_date: str  # YYYY-MM-DD
    file: str  # relative to the landing area: <system>/<YYYYMMDD>/<name>
    control_file: str
    rows: int
    bytes: int
    md5: str
    sums: dict[str, str]  # decimal column → exact sum as text


@dataclass
class Manifest:
    parameters: dict[str, Any]
    files: list[FileEntry] = field(default_factory=list)
    extracts: dict[str, dict[str, Any]] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)
    defects: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def totals(self) -> dict[str, int]:
        return {"files": len(self.files), "rows": sum(f.rows for f in self.files),
                "bytes": sum(f.bytes for f in self.files)}

    def summary(self) -> str:
        t = self.totals
        defects = f", {len(self.defects)} defect(s) injected" if self.defects else ""
        return (f"{t['files']:,} files, {t['rows']:,} rows, {t['bytes'] / 1e6:,.1f} MB for "
                f"{self.parameters['days']} business dates at scale {self.parameters['scale']}{defects}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters": self.parameters,
            "totals": self.totals,
            "extracts": self.extracts,
            "files": [dict(vars(f)) for f in self.files],
            "truth": self.truth,
            "defects": self.defects,
        }  # timings stay out: the manifest is as deterministic as the files

    def write(self, out: Path) -> Path:
        path = out / MANIFEST_NAME
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path


def read_manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
