"""crmwh: analytical CRM data warehouse for commercial banks."""

__version__ = "0.1.0"
