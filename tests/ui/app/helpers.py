"""What the ui/app tests share: the arguments `streamimages gui` would pass."""

from __future__ import annotations

import argparse
from pathlib import Path


def gui_args(screenshot: Path | None = None, role: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(stream=None, role=role, screenshot=screenshot)
