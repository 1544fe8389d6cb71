"""Data Docs (stub)."""

from __future__ import annotations

from pathlib import Path


def make_offline(site: Path) -> None:
    pass


def build_data_docs(warehouse: Path, out_dir: Path) -> Path:
    raise NotImplementedError
