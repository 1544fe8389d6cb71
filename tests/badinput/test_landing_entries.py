"""Stray entries in the landing area (issue 13.9, 13.16): a file named in GBK, a dangling link, a link loop, a data
file or delivery folder that is a symbolic link. None of them crashes the run: the delivery holding one is rejected
with a reason naming the entry (links are never followed, so the audit never records a target's size or MD5), the
other deliveries load, and every message can be printed."""

from __future__ import annotations

import os

from badinput.conftest import Before, assert_only_failed, outcome

from support.deliveries import Bank
from support.minibank import D2

TXN = "core.transactions"
TXN_FILE = "TXN_DTL_20250131.dat"
LINK_RULE = "the landing area takes only regular files, a link is not followed (copy the file in)"


def _core_d2_rejected(bank: Bank, before: Before, reason: str) -> int:
    report = bank.ingest()
    o = outcome(report, "core", D2)
    assert (o.outcome, o.reason) == ("REJECTED", reason)
    assert_only_failed(report, {("core", D2)})
    report.summary().encode("utf-8")  # printable: no lone surrogates from undecodable names
    assert bank.count("core__transactions", f"_business_date = '{D2}'") == 0
    assert bank.count("cards__card_transactions", f"_business_date = '{D2}'") == 200
    before.assert_unchanged()
    d = bank.deliveries("core")[-1]
    assert (d["status"], d["reason_code"], d["reason"]) == ("REJECTED", "CHECK_FAILED", reason)
    assert o.batch_id is not None
    return o.batch_id


def test_file_named_in_gbk(bank: Bank, before: Before) -> None:
    name = os.fsdecode("说明.txt".encode("gbk"))
    (bank.delivery_dir("core", D2) / name).write_bytes(b"readme\n")
    shown = "\u02f5\\xc3\\xf7.txt"  # cb b5 happens to be valid UTF-8 (˵); c3 f7 is not
    batch = _core_d2_rejected(
        bank, before, f"1 of 9 files failed: {shown}: the file name is not valid UTF-8 (bytes shown as \\x..): "
                      "rename it")
    assert bank.query("SELECT file_name, byte_size, status FROM audit.delivery_files WHERE batch_id = ? AND "
                      "extract IS NULL", [batch]) == [(shown, 7, "REJECTED")]


def test_dangling_symlink(bank: Bank, before: Before) -> None:
    (bank.delivery_dir("core", D2) / "README").symlink_to("/nonexistent/readme")
    batch = _core_d2_rejected(
        bank, before, f"1 of 9 files failed: README: a symbolic link (to /nonexistent/readme): {LINK_RULE}")
    assert bank.query("SELECT file_name, byte_size, md5, reason FROM audit.delivery_files WHERE batch_id = ? AND "
                      "extract IS NULL", [batch]) == [
        ("README", None, None, f"a symbolic link (to /nonexistent/readme): {LINK_RULE}")]


def test_symlink_loop(bank: Bank, before: Before) -> None:
    folder = bank.delivery_dir("core", D2)
    (folder / "a").symlink_to(folder / "b")
    (folder / "b").symlink_to(folder / "a")
    _core_d2_rejected(
        bank, before, f"2 of 10 files failed: a: a symbolic link (to {folder / 'b'}): {LINK_RULE}; "
                      f"b: a symbolic link (to {folder / 'a'}): {LINK_RULE}")


def test_data_file_that_is_a_symlink_is_not_followed(bank: Bank, before: Before, tmp_path: os.PathLike) -> None:
    path = bank.data_path(TXN, D2)
    target = os.path.join(tmp_path, TXN_FILE)
    os.replace(path, target)
    path.symlink_to(target)
    batch = _core_d2_rejected(
        bank, before, f"1 of 8 files failed: {TXN_FILE}: {TXN_FILE} is a symbolic link (to {target}): {LINK_RULE}")
    # the audit does not record the target's size or MD5
    assert bank.query("SELECT byte_size, md5, status FROM audit.delivery_files WHERE batch_id = ? AND file_name = ?",
                      [batch, TXN_FILE]) == [(None, None, "REJECTED")]


def test_control_file_that_is_a_symlink_is_not_followed(bank: Bank, before: Before, tmp_path: os.PathLike) -> None:
    path = bank.control_path(TXN, D2)
    target = os.path.join(tmp_path, path.name)
    os.replace(path, target)
    path.symlink_to(target)
    _core_d2_rejected(
        bank, before, f"1 of 8 files failed: {TXN_FILE}: {path.name} is a symbolic link (to {target}): {LINK_RULE}")


def test_delivery_folder_that_is_a_symlink_is_not_loaded(bank: Bank, before: Before, tmp_path: os.PathLike) -> None:
    folder = bank.delivery_dir("core", D2)
    target = os.path.join(tmp_path, "core-d2")
    os.replace(folder, target)
    folder.symlink_to(target)
    (bank.landing / "core" / os.fsdecode("旧.zip".encode("gbk"))).write_bytes(b"x")
    (bank.landing / "core" / "loop").symlink_to(bank.landing / "core" / "loop")
    report = bank.ingest()
    assert [o for o in report.outcomes if o.system == "core" and o.business_date == D2] == []
    assert_only_failed(report, {("core", D2)})  # not seen; marketing's D2 waits for it
    assert bank.count("core__transactions", f"_business_date = '{D2}'") == 0
    warnings = sorted(w.removeprefix(str(bank.landing / "core") + "/") for w in report.warnings)
    assert warnings == [
        "20250131: a symbolic link, not loaded: the landing area takes only real folders and files (copy the delivery "
        "in)",
        "\\xbe\\xc9.zip: not a delivery folder (<system>/<YYYYMMDD>/), ignored",
        "loop: a symbolic link, not loaded: the landing area takes only real folders and files (copy the delivery in)",
    ]
    report.summary().encode("utf-8")
    before.assert_unchanged()


def test_command_line_rejects_with_exit_one_and_no_traceback(bank: Bank) -> None:
    import subprocess
    import sys

    folder = bank.delivery_dir("core", D2)
    (folder / os.fsdecode("说明.txt".encode("gbk"))).write_bytes(b"readme\n")
    (folder / "gone.dat").symlink_to("/nonexistent/gone.dat")
    bank.close()
    done = subprocess.run(
        [sys.executable, "-m", "crmwh.cli", "ingest", "--landing", str(bank.landing), "--warehouse",
         str(bank.warehouse), "--quiet"],
        capture_output=True, timeout=300, check=False, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert done.returncode == 1, err[-2000:]
    assert "Traceback" not in err
    assert "gone.dat: a symbolic link (to /nonexistent/gone.dat)" in out
    assert "\\xc3\\xf7.txt: the file name is not valid UTF-8" in out
