"""The `streamimages` command line: one module per command group over the core manager."""

from __future__ import annotations

from streamimages_desktop.cli.entry import main

__all__ = ["main"]
