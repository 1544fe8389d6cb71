"""`crmwh generate` as a user calls it: options reach the generator, defects are listed and checked."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from crmwh.cli import cli
from synth.defects import DEFECT_KINDS


def test_defect_list_names_every_kind() -> None:
    result = CliRunner().invoke(cli, ["generate", "--defect", "list"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.splitlines() if line.strip()]
    assert listed == list(DEFECT_KINDS)


def test_a_bad_defect_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", "--landing", str(tmp_path), "--defect", "bad_rows:nowhere"])
    assert result.exit_code == 2
    assert "unknown system 'nowhere'" in result.output
    assert not (tmp_path / "_manifest.json").exists()


def test_generate_writes_the_landing_area_and_says_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "landing"
    result = CliRunner().invoke(cli, ["generate", "--scale", "0.01", "--start", "20250301", "--days", "2",
                                      "--seed", "3", "--landing", str(out), "--quiet", "--defect", "empty_file:cards"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"] == {"scale": 0.01, "seed": 3, "start": "2025-03-01", "days": 2, "end": "2025-03-02",
                                      "generator_version": 1}
    assert f"{manifest['totals']['files']:,} files" in result.output and "1 defect(s) injected" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "_manifest.json", "accounting", "cards", "core", "marketing", "ref"]
    assert (out / "cards" / "20250302" / "card_txns_20250302.csv").read_bytes() == b""
