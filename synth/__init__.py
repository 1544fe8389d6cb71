"""The synthetic bank behind ``crmwh generate``: a Chinese commercial bank's daily extracts, written per contract."""
