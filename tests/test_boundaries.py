"""The layers: core never imports Qt, ui or cli; ui and cli use only core's public modules and
stay apart. import-linter checks the contracts in pyproject.toml; these tests run it on the
real tree and on copies broken on purpose, so a contract that stops biting fails the suite."""

from __future__ import annotations

import os
import pkgutil
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest

import streamimages_desktop.core

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "streamimages_desktop"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

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
    return sorted(m.name for m in pkgutil.iter_modules([str(path)]))


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the package and pyproject.toml found in `tree` (no cache written)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


# -- import-linter contracts --------------------------------------------------------------


def test_the_real_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in result.stdout


def test_every_core_module_is_named_public_or_private() -> None:
    """A new core module must be placed on one side of the door before it is used."""
    contract = _contracts()["core-public"]
    private = {m.removeprefix("streamimages_desktop.core.") for m in contract["protected_modules"]}
    named = re.search(r"public modules: (.+)$", contract["name"])
    assert named is not None
    public = set(named.group(1).split(", "))
    assert public and private and not public & private
    assert public | private == set(_core_modules())


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package and pyproject.toml copied, to be broken on purpose."""
    tree = tmp_path_factory.mktemp("tree")
    shutil.copytree(PACKAGE, tree / PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree)
    return tree


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("core/blobs.py", "import PySide6.QtGui", "core-alone"),
        ("core/models.py", "import shiboken6", "core-alone"),
        ("core/errors.py", "import streamimages_desktop.ui.tasks", "core-alone"),
        ("core/paths.py", "from streamimages_desktop.cli import format", "core-alone"),
        ("ui/tasks.py", "from streamimages_desktop.core import store", "core-public"),
        ("cli/format.py", "import streamimages_desktop.core.disk_cache", "core-public"),
        ("cli/library.py", "from streamimages_desktop.ui import tasks", "ui-cli-apart"),
        ("ui/tasks.py", "import streamimages_desktop.cli.format", "ui-cli-apart"),
    ],
)
def test_a_violating_import_breaks_its_contract(
    tree_copy: Path, module: str, line: str, broken: str
) -> None:
    target = tree_copy / PACKAGE.name / module
    original = target.read_text(encoding="utf-8")
    target.write_text(f"{original}\n{line}  # injected\n", encoding="utf-8")
    try:
        result = lint_imports(tree_copy)
    finally:
        target.write_text(original, encoding="utf-8")
    assert result.returncode != 0, result.stdout
    report = "".join(result.stdout.split())  # the report wraps long names at any space
    assert "".join(f"{_contracts()[broken]['name']}BROKEN".split()) in report
    assert f"{module.removesuffix('.py').replace('/', '.')}->" in report  # names the culprit


def test_the_copy_itself_is_clean(tree_copy: Path) -> None:
    """The broken copies fail because of the injected line, not because of the copying."""
    assert lint_imports(tree_copy).returncode == 0


# -- at run time: importing core or a command never loads Qt ------------------------------


def test_every_core_module_imports_with_qt_unimportable() -> None:
    modules = [f"streamimages_desktop.core.{m}" for m in _core_modules()]
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
