"""The layering rule: core never imports Qt, and the command line stays Qt-free except for `gui`."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import streamimages_desktop.core

BLOCK_QT = textwrap.dedent(
    """
    import importlib.abc, sys

    class BlockQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "PySide6" or name.startswith(("PySide6.", "shiboken6")):
                raise ImportError(f"core must not import Qt ({name})")
            return None

    sys.meta_path.insert(0, BlockQt())
    """
)


def _core_modules() -> list[str]:
    path = Path(streamimages_desktop.core.__file__).parent
    return sorted(f"streamimages_desktop.core.{m.name}" for m in pkgutil.iter_modules([str(path)]))


def test_every_core_module_imports_with_qt_unimportable() -> None:
    modules = _core_modules()
    assert "streamimages_desktop.core.access" in modules  # the list is real, not empty
    code = BLOCK_QT + "".join(f"import {m}\n" for m in modules)
    code += "import streamimages_desktop.core.settings, streamimages_desktop.cli.entry\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_qt_blocker_really_blocks() -> None:
    """Guard the guard: the same finder must make a Qt import fail."""
    code = BLOCK_QT + "import PySide6.QtCore\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "core must not import Qt" in result.stderr
