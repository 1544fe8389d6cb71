"""The operator's commands end to end on the small bank: `crmwh status` after a gap and its repair, `crmwh withdraw`
and `crmwh restore` through the one-writer path, with their exit codes (docs/operations.md)."""

from __future__ import annotations

import shutil
from typing import Any

from click.testing import CliRunner

from contracts.errors import ExitCode
from crmwh import publish
from crmwh.cli import cli

from support.deliveries import Bank
from support.minibank import D2, D3


def _run(bank: Bank, *args: str, landing: bool = True) -> Any:
    extra = ["--landing", str(bank.landing)] if landing else []
    return CliRunner().invoke(cli, [*args, *extra, "--warehouse", str(bank.warehouse)])


def _serve(bank: Bank) -> None:
    bank.close()
    publish.publish(publish.prepare_work_copy(bank.warehouse), bank.warehouse)


def test_status_shows_a_gap_what_waits_for_it_and_its_repair(bank: Bank) -> None:
    _serve(bank)
    shutil.rmtree(bank.delivery_dir("cards", D2))
    bank.add_day(D3)
    ingested = _run(bank, "ingest", "--quiet")
    assert ingested.exit_code == ExitCode.REJECTED, ingested.output
    status = _run(bank, "status")
    assert status.exit_code == ExitCode.REJECTED, status.output
    lines = status.output.splitlines()
    assert "  2025-01-31 cards      MISSING: no delivery: later dates of the system wait for it" in lines
    held = [line for line in lines if line.startswith("  2025-02-01 cards      HELD (batch ")]
    assert len(held) == 1 and "waiting for cards 2025-01-31" in held[0]
    cards = next(line.split() for line in lines if line.startswith("cards "))
    # system, first, last loaded, loaded, held, refused, rejected, withdrawn, missing, pending, rows rejected
    assert cards == ["cards", "2025-01-30", "2025-01-30", "1", "1", "0", "0", "0", "1", "0", "0"]
    assert f"serves {publish.resolve_served(bank.warehouse).name}" in status.output
    # a day in the landing area not yet ingested is pending
    bank.add_day(D2, systems=("cards",))
    assert "  2025-01-31 cards      PENDING: in the landing area, not ingested yet" in \
        _run(bank, "status").output.splitlines()
    assert _run(bank, "ingest", "--quiet").exit_code == ExitCode.OK
    repaired = _run(bank, "status")
    assert repaired.exit_code == ExitCode.OK, repaired.output
    assert "every delivery is loaded, without gaps" in repaired.output


def test_withdraw_and_restore_through_the_command_line(bank: Bank) -> None:
    bank.add_day(D3)
    bank.ingest()
    _serve(bank)
    served_before = publish.resolve_served(bank.warehouse)
    done = _run(bank, "withdraw", "core", "20250131", "--reason", "dated wrong", landing=False)
    assert done.exit_code == ExitCode.OK, done.output
    assert done.output.startswith("withdrew core 2025-01-31 and 3 deliveries that depend on it; ")
    after = publish.resolve_served(bank.warehouse)
    assert after != served_before
    again = _run(bank, "withdraw", "core", "2025-01-31", "--reason", "dated wrong", landing=False)
    assert again.exit_code == ExitCode.OK and "already withdrawn" in again.output
    assert publish.resolve_served(bank.warehouse) == after  # nothing changed: no new version
    missing = _run(bank, "withdraw", "core", "20250301", "--reason", "x", landing=False)
    assert missing.exit_code == ExitCode.FAILED and "Traceback" not in missing.output
    assert missing.output.startswith("withdraw failed, the served warehouse is unchanged: no delivery of core")
    status = _run(bank, "status")
    assert "  2025-01-31 core       WITHDRAWN (batch " in status.output
    assert _run(bank, "ingest", "--quiet").exit_code == ExitCode.REJECTED  # the same files: refused
    # the operator goes back to the version before the withdrawal
    restored = _run(bank, "restore", landing=False)
    assert restored.exit_code == ExitCode.OK, restored.output
    previous = publish.resolve_served(bank.warehouse)
    assert previous == after  # the version published by withdraw, before the refusing ingest
    assert _run(bank, "status").output.count("WITHDRAWN") >= 1
