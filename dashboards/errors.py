"""Errors of the Superset side that are not a single module's own (bootstrap, assets import, roles)."""

from __future__ import annotations

from contracts.errors import CrmwhError


class SupersetSetupError(CrmwhError):
    """Superset's metadata cannot be brought to a servable state; the message says what is missing and what to do."""
