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
    # a delivery was rejected, refused or held (or a data-quality check failed on `validate`; `status`: a delivery is
    # not loaded); everything else went through
    REJECTED = 1
    # the command failed and changed nothing: bad usage or input, a failed build, another command holding the build
    # lock, an unwritable warehouse folder (the served warehouse is unchanged); see docs/operations.md
    FAILED = 2
    INTERNAL = 3  # an unexpected error (a bug): the traceback is printed


class CrmwhError(Exception):
    """An expected error: the message says what went wrong and what to do; no traceback is shown."""

    exit_code: ExitCode = ExitCode.FAILED
