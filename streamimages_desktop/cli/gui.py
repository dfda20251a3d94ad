"""`streamimages gui` (and `streamimages` alone): start the window; Qt is imported only here."""

from __future__ import annotations

import argparse

from streamimages_desktop.core.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    for name in ("stream", "role", "screenshot"):  # `streamimages` alone means `gui`
        if not hasattr(args, name):
            setattr(args, name, None)
    # Imported here so no other command loads Qt. The one cli -> ui import the layers
    # contract allows (`ignore_imports` in pyproject.toml).
    from streamimages_desktop.ui.app.main import run_gui

    return int(run_gui(settings, args))
