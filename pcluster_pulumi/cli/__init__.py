"""The typer command line over every layer; ``pcluster-pulumi`` runs :func:`main`."""

from pcluster_pulumi.cli.main import app, main

__all__ = ["app", "main"]
