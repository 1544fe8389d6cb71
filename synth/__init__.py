"""The synthetic bank behind ``crmwh generate``: a Chinese commercial bank's daily extracts, written per contract."""

from contracts.errors import CrmwhError


class GenerateError(CrmwhError, ValueError):
    """The bank cannot be generated as asked (a bad scale, horizon or defect); the message says which."""
