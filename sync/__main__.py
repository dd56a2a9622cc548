"""``python -m sync`` runs the ``smarketing`` command."""

from .app.cli import cli

cli(prog_name="smarketing")
