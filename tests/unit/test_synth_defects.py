"""Each injected defect changes exactly what its description says, and nothing else."""

from __future__ import annotations

import hashlib
import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from contracts.contract import load_contracts
from contracts.control import ControlRecord, read_control_file
from synth.bank import generate_bank
from synth.defects import DEFECT_KINDS, Defect, apply_defect, choose_target, parse_defect
from synth.manifest import read_manifest

CONTRACTS = load_contracts()
START = date(2025, 1, 1)
DAYS = 5
DATES = [date(2025, 1, 1 + i) for i in range(DAYS)]
LAST = DATES[-1]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate_bank(scale=0.01, start=START, days=DAYS, seed=5, out=out, defects=[], progress=False)
    return out


@pytest.fixture
def landing(clean: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "landing"
    shutil.copytree(clean, copy)
    return copy


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "_manifest.json"}


def _changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    keys = before.keys() | after.keys()
    return {k for k in keys if before.get(k) != after.get(k)}


def _inject(landing: Path, text: str) -> tuple[dict[str, Any], dict[str, bytes], dict[str, bytes]]:
    before = _tree(landing)
    record = apply_defect(parse_defect(text), landing, CONTRACTS, DATES)
    return record, before, _tree(landing)


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]


def _consistent(landing: Path, file: str) -> ControlRecord:
    """The control file describes the (defective) data file as it is."""
    path = landing / file
    control = read_control_file(path.with_suffix(".flg"))
    data = path.read_bytes()
    assert control.byte_size == len(data)
    assert control.md5 == hashlib.md5(data).hexdigest()
    return control


def test_parse_defect_accepts_kind_system_and_date() -> None:
    assert parse_defect("bad_rows") == Defect("bad_rows")
    assert parse_defect("encoding_error:cards") == Defect("encoding_error", "cards")
    assert parse_defect("truncated_file:core:20250105") == Defect("truncated_file", "core", date(2025, 1, 5))
    for text, message in (("nonsense", "unknown defect kind 'nonsense'"), ("bad_rows:bank", "unknown system 'bank'"),
                          ("bad_rows:core:20251341", "not a valid date"), ("bad rows", "is not KIND")):
        with pytest.raises(ValueError, match=message):
            parse_defect(text)
    assert len(DEFECT_KINDS) >= 14


def test_default_targets_are_on_the_last_date_they_are_delivered() -> None:
    contract, day = choose_target(Defect("bad_rows"), CONTRACTS, DATES)
    assert (contract.key, day) == ("core.transactions", LAST)
    contract, day = choose_target(Defect("bad_rows", "accounting"), CONTRACTS, DATES)
    assert (contract.key, day) == ("accounting.ledger_entries", LAST)
    contract, day = choose_target(Defect("missing_data_file", "core", date(2025, 1, 3)), CONTRACTS, DATES)
    assert (contract.key, day) == ("core.loans", date(2025, 1, 3))
    with pytest.raises(ValueError, match="outside the generated business dates"):
        choose_target(Defect("bad_rows", "core", date(2025, 3, 1)), CONTRACTS, DATES)


def test_bad_rows(landing: Path) -> None:
    record, before, after = _inject(landing, "bad_rows")
    file = record["file"]
    assert file == "core/20250105/TXN_DTL_20250105.dat"
    assert _changed(before, after) == {file, file.replace(".dat", ".flg")}
    old, new = _lines(before[file]), _lines(after[file])
    assert len(old) == len(new) and _consistent(landing, file).record_count == len(new)
    differing = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    assert [r["line"] for r in record["detail"]["rows"]] == [i + 1 for i in differing]
    contract = CONTRACTS.get("core.transactions")
    bad = [new[i].decode("gbk").split("|") for i in differing]
    amount = contract.column_names.index("amount")
    assert bad[0][amount] == "12A4.5O"
    assert bad[1][contract.column_names.index("txn_date")] == "20251341"
    assert len(bad[2]) == len(contract.columns) - 1


def test_bad_rows_in_a_fixed_width_file(landing: Path) -> None:
    record, before, after = _inject(landing, "bad_rows:accounting")
    assert len(_lines(before[record["file"]])) == len(_lines(after[record["file"]]))
    file = record["file"]
    width = CONTRACTS.get("accounting.ledger_entries").record_width
    new = _lines(after[file])
    assert sorted(len(line) for line in new)[0] == width - 10
    assert sum(1 for line in new if b"12A4.5O" in line) == 1
    assert sum(1 for line in new if b"20251341" in line) == 1
    _consistent(landing, file)


def test_count_checksum_and_size_mismatches_touch_only_the_control_file(landing: Path) -> None:
    for text, field, delta in (("count_mismatch", "record_count", 1), ("size_mismatch", "byte_size", 7)):
        record, before, after = _inject(landing, text)
        flg = record["file"].rsplit(".", 1)[0] + ".flg"
        assert _changed(before, after) == {flg}
        old = ControlRecord.parse(before[flg].decode(), flg)
        new = ControlRecord.parse(after[flg].decode(), flg)
        assert getattr(new, field) == getattr(old, field) + delta
    record, before, after = _inject(landing, "checksum_mismatch")
    flg = record["file"].rsplit(".", 1)[0] + ".flg"
    assert _changed(before, after) == {flg}
    new = ControlRecord.parse(after[flg].decode(), flg)
    assert new.md5 != hashlib.md5(after[record["file"]]).hexdigest()
    assert (new.record_count, new.byte_size) == (ControlRecord.parse(before[flg].decode(), flg).record_count,
                                                 len(after[record["file"]]))


def test_missing_files(landing: Path) -> None:
    record, before, after = _inject(landing, "missing_data_file")
    assert record["file"] == "core/20250105/LOAN_INFO_20250105.dat"
    assert _changed(before, after) == {record["file"]} and record["file"] not in after
    record, before, after = _inject(landing, "missing_control_file")
    flg = record["file"].rsplit(".", 1)[0] + ".flg"
    assert record["file"] == "ref/20250105/FX_RATE_20250105.csv"
    assert _changed(before, after) == {flg} and flg not in after


def test_encoding_errors(landing: Path) -> None:
    for text, encoding in (("encoding_error", "gbk"), ("encoding_error:cards", "utf-8")):
        record, before, after = _inject(landing, text)
        file = record["file"]
        assert _changed(before, after) == {file, file.rsplit(".", 1)[0] + ".flg"}
        before[file].decode(encoding)
        with pytest.raises(UnicodeDecodeError):
            after[file].decode(encoding)
        broken = [i for i, (a, b) in enumerate(zip(_lines(before[file]), _lines(after[file]), strict=True)) if a != b]
        assert len(broken) == 1
        _consistent(landing, file)


def test_truncated_file(landing: Path) -> None:
    record, before, after = _inject(landing, "truncated_file")
    file = record["file"]
    assert _changed(before, after) == {file}
    assert before[file].startswith(after[file]) and not after[file].endswith(b"\n")
    assert len(after[file]) == record["detail"]["bytes_kept"] < len(before[file])


def test_wrong_delimiter_and_extra_column(landing: Path) -> None:
    record, before, after = _inject(landing, "wrong_delimiter")
    file = record["file"]
    assert file == "core/20250105/ACCT_INFO_20250105.dat"
    assert after[file] == before[file].replace(b"|", b",") and b"|" in before[file]
    _consistent(landing, file)
    record, before, after = _inject(landing, "extra_column")
    file = record["file"]
    assert file == "cards/20250105/cards_20250105.csv"
    old, new = _lines(before[file]), _lines(after[file])
    assert new[0] == old[0] + b",extra_column"
    assert all(b == a + b",X" for a, b in zip(old[1:], new[1:], strict=True))
    _consistent(landing, file)


def test_empty_file_duplicate_key_orphan_foreign_key(landing: Path) -> None:
    record, before, after = _inject(landing, "empty_file")
    assert after[record["file"]] == b"" and _consistent(landing, record["file"]).record_count == 0
    record, before, after = _inject(landing, "duplicate_key")
    file = record["file"]
    assert file.startswith("core/2025") and "/CUST_INFO_" in file  # the last day with customers to duplicate
    old, new = _lines(before[file]), _lines(after[file])
    assert new == [*old, old[0]] and _consistent(landing, file).record_count == len(old) + 1
    record, before, after = _inject(landing, "orphan_foreign_key:cards")
    file = record["file"]
    assert file == "cards/20250105/card_txns_20250105.csv"
    old, new = _lines(before[file]), _lines(after[file])
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert len(changed) == 1
    known_cards = {line.split(b",")[0] for f, data in before.items() if "/cards_" in f for line in _lines(data)[1:]}
    assert changed[0][1].split(b",")[1] not in known_cards and changed[0][0].split(b",")[1] in known_cards
    _consistent(landing, file)


def test_redelivery_rewrites_the_same_bytes(landing: Path) -> None:
    folder = landing / "core" / "20250105"
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    time.sleep(0.01)
    record, before, after = _inject(landing, "redelivery:core")
    assert before == after
    assert sorted(record["detail"]["files_rewritten"]) == sorted(stamps)
    assert all(p.stat().st_mtime_ns > stamps[p.name] for p in folder.iterdir())


def test_generate_records_defects_in_the_manifest(tmp_path: Path) -> None:
    generate_bank(scale=0.01, start=START, days=3, seed=5, out=tmp_path, progress=False,
                  defects=[parse_defect("count_mismatch:ref"), parse_defect("missing_control_file:core:20250102")])
    defects = read_manifest(tmp_path)["defects"]
    assert [(d["kind"], d["file"]) for d in defects] == [
        ("count_mismatch", "ref/20250103/FX_RATE_20250103.csv"),
        ("missing_control_file", "core/20250102/CUST_INFO_20250102.dat"),
    ]
    assert not (tmp_path / "core" / "20250102" / "CUST_INFO_20250102.flg").exists()


def test_a_defect_outside_the_horizon_fails_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside the generated business dates"):
        generate_bank(scale=0.01, start=START, days=2, seed=5, out=tmp_path / "x", progress=False,
                      defects=[parse_defect("bad_rows:core:20250301")])
    assert not (tmp_path / "x").exists()
