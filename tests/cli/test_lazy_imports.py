"""`--help`, usage errors and cache-sim start without Pillow, the library code or Qt (issue 14):
their start-up must not grow with what the library commands need."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from streamimages_desktop.cli import library, parser
from streamimages_desktop.core import settings
from tests.core.library_procs import child_env

HEAVY = (
    "PIL",
    "PySide6",
    "streamimages_desktop.core.manager",
    "streamimages_desktop.core.imaging",
    "streamimages_desktop.core.store",
    "streamimages_desktop.core.importer",
    "streamimages_desktop.core.disk_cache",
    "streamimages_desktop.core.workbench.runner",
    "multiprocessing",
)

# Runs `python -m streamimages_desktop ARGS` in this process, then prints the modules loaded.
PROBE = """
import json, runpy, sys
sys.argv = ["streamimages", *sys.argv[1:]]
try:
    runpy.run_module("streamimages_desktop", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def loaded_after(*args: str, tmp_path: Path) -> tuple[int, set[str]]:
    env = child_env(STREAM_IMAGES_DIR=str(tmp_path / "lib"), IMAGE_CACHE_DIR=str(tmp_path / "c"))
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    report = json.loads(proc.stderr.splitlines()[-1])
    return report["code"], set(report["modules"])


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("list", "--help"),
        ("check", "--help"),
        ("cache-sim", "--help"),
        ("list", "--sort", "sideways"),  # a usage error
        ("cache-sim", "--requests", "200", "--seed", "1"),
    ],
)
def test_commands_that_need_no_library_load_none_of_it(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    code, modules = loaded_after(*args, tmp_path=tmp_path)
    assert code in (0, 2, None)
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY)
    assert heavy == []
    assert not (tmp_path / "lib").exists()  # nor was the library opened


def test_a_library_command_does_load_it(tmp_path: Path) -> None:
    """The probe sees imports at all: `streams` opens the library through the manager."""
    code, modules = loaded_after("streams", tmp_path=tmp_path)
    assert code == 0
    assert "streamimages_desktop.core.manager" in modules  # (Pillow waits for an import)


def test_the_dispatch_names_every_library_command() -> None:
    assert tuple(library.COMMANDS) == parser.LIBRARY_COMMANDS


def test_the_written_out_pixel_limit_is_pillows() -> None:
    assert settings.PILLOW_MAX_PIXELS == Image.MAX_IMAGE_PIXELS


# Nor, for help and usage errors, the domain models, logging, typing or the cache simulator:
# what the parser offers is written out (cli/names.py), cache-sim's options wait for cache-sim.
NOT_FOR_THE_GRAMMAR = (
    "logging",
    "typing",
    "streamimages_desktop.core.models",
    "streamimages_desktop.core.cache_sim",
    "streamimages_desktop.core.workbench",
    "streamimages_desktop.cli.workbench",
)


@pytest.mark.parametrize(
    "args",
    [("--help",), ("list", "--help"), ("list", "--sort", "sideways"), ("frobnicate",)],
)
def test_help_and_usage_errors_load_only_the_grammar(args: tuple[str, ...], tmp_path: Path) -> None:
    code, modules = loaded_after(*args, tmp_path=tmp_path)
    assert code in (0, 2)
    assert sorted(m for m in modules if m.startswith(NOT_FOR_THE_GRAMMAR)) == []
    assert "streamimages_desktop.cli.parser" in modules  # the probe saw the command line
