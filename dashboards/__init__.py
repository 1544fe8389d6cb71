"""Superset serving for the CRM warehouse: configuration, bootstrap, serve entry point, test harness."""
