"""Deployment commands of the CLI (preview, up, destroy, ...), registered on the main app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the deployment commands to ``app`` (none yet: see issue 6)."""
