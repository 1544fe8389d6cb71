"""``python -m expectations validate|quality-docs``: see expectations/cli.py."""

from expectations.cli import main

main()
