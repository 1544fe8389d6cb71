"""The error of the models package: an expected failure (bad input, too few leavers) that writes no model."""

from __future__ import annotations

from contracts.errors import CrmwhError, ExitCode


class ModelError(CrmwhError):
    """Training or scoring refused: the message says why; nothing was written."""

    exit_code = ExitCode.FAILED
