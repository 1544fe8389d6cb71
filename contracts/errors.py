"""The one error hierarchy and the exit codes of ``crmwh``.

Every expected failure (bad input, bad configuration, a failed build) raises a subclass of :class:`CrmwhError`; the
command line prints its message without a traceback and exits with its ``exit_code``. Anything else is a bug: exit 3
with the traceback. The base lives here, at the bottom of the import graph, because every package raises it and
``contracts`` imports nothing of the repository.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    REJECTED = 1  # a delivery (or a data-quality check of it) was rejected; everything else went through
    FAILED = 2  # the command failed and changed nothing: bad usage or input, failed build (served warehouse unchanged)
    INTERNAL = 3  # an unexpected error (a bug): the traceback is printed


class CrmwhError(Exception):
    """An expected error: the message says what went wrong and what to do; no traceback is shown."""

    exit_code: ExitCode = ExitCode.FAILED
