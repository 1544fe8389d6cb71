"""``crmwh users sync`` inside Superset's virtualenv: map every branch manager to their branch from the warehouse.

Run as ``python -m dashboards.users sync [--warehouse FILE] [--managers FILE]`` with ``SUPERSET_CONFIG_PATH`` set
(``crmwh users sync`` does it, with the same environment as ``crmwh serve``). Works on the metadata database of a
Superset that has been started once, running or not. The report goes to stdout, Superset's own chatter to stderr;
exits 0 when every 支行行长 user has a branch, 1 when some have none (or lines of the managers file were not used), 2
when nothing could be done (the message says why), 3 on an unexpected error (traceback on stderr).
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from contracts.errors import CrmwhError, ExitCode
from dashboards import branch_map, settings
from dashboards.errors import SupersetSetupError


def sync(warehouse: Path, managers: Path | None) -> branch_map.SyncReport:
    from dashboards import security

    mapping = branch_map.load_branch_map(warehouse, managers, demo_user=security.DEMO_USER)
    if settings.profile() == "embedded" and not (settings.home_dir() / "superset.db").exists():
        raise SupersetSetupError(
            f"Superset has no metadata in {settings.home_dir()} yet: start it once (crmwh serve), then sync"
        )

    from superset.app import create_app

    with create_app().app_context():
        from superset.extensions import security_manager

        if security_manager.find_role(security.BRANCH_MANAGER) is None:
            raise SupersetSetupError(
                f"Superset has no role {security.BRANCH_MANAGER!r} yet: start it once (crmwh serve), then sync"
            )
        return security.sync_branch_managers(mapping)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards.users")
    commands = parser.add_subparsers(dest="command", required=True)
    sync_parser = commands.add_parser("sync", help="map every 支行行长 user to their branch subtree")
    sync_parser.add_argument("--warehouse", type=Path, default=None)
    sync_parser.add_argument("--managers", type=Path, default=None)
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    report_to = sys.stdout
    sys.stdout = sys.stderr  # Superset prints while it loads; only the report belongs on stdout
    try:
        report = sync(args.warehouse or settings.warehouse_path(), args.managers)
    except CrmwhError as exc:
        print(exc, file=report_to, flush=True)
        return int(exc.exit_code)
    except Exception:  # a bug, or Superset's metadata database unreachable: the caller shows this traceback
        traceback.print_exc(file=sys.stderr)
        return int(ExitCode.INTERNAL)
    for line in report.lines():
        print(line, file=report_to)
    report_to.flush()
    return int(report.exit_code)


if __name__ == "__main__":
    sys.exit(main())
