"""``python -m sync`` runs the ``smarketing`` command."""

from .cli import cli

cli(prog_name="smarketing")
