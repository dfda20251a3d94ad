"""The reading commands (`list`, `stats`, `streams`) start without Pillow, the OBS client or
the imaging code (issue 14): their time is the query's, not the import path's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from tests.core.library_procs import child_env
from tests.images import write_image

NOT_FOR_READING = (
    "PIL",
    "obsws_python",
    "websocket",
    "streamimages_desktop.core.imaging",
    "streamimages_desktop.core.derivatives",
    "streamimages_desktop.core.export",
    "streamimages_desktop.core.library_check",
    "streamimages_desktop.core.obs_websocket",
    # Nor the import code, the rendition cache, hashing, random tokens, worker pools, typing,
    # dataclasses (their values are records, core/record.py) or logging: each costs start-up
    # more than a 50-row query (issue 14).
    "streamimages_desktop.core.importer",
    "streamimages_desktop.core.disk_cache",
    "streamimages_desktop.core.disk_guard",
    "streamimages_desktop.core.disk_index",
    "streamimages_desktop.core.disk_rows",
    "streamimages_desktop.core.disk_tally",
    "streamimages_desktop.core.rendition_key",
    "hashlib",
    "uuid",
    "secrets",
    "concurrent",
    "typing",
    "dataclasses",
    "inspect",
    "logging",
)

# `python -m streamimages_desktop ARGS` in this process; then what it printed and loaded.
PROBE = """
import contextlib, io, json, runpy, sys
sys.argv = ["streamimages", *sys.argv[1:]]
out = io.StringIO()
code = 0
with contextlib.redirect_stdout(out):
    try:
        runpy.run_module("streamimages_desktop", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
report = {"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}
print(json.dumps(report), file=sys.stderr)
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A library holding one image in stream s1 titled "encore"; (its folder, the image id)."""
    root = tmp_path_factory.mktemp("startup")
    settings = Settings.load({}, library=root / "lib", cache_dir=root / "c")
    with StreamImageManager(settings) as manager:
        (result,) = manager.import_paths(OWNER, "s1", [write_image(root / "encore.png")])
    assert result.image_id is not None
    return root, result.image_id


def run_probe(root: Path, *args: str) -> dict[str, object]:
    env = child_env(STREAM_IMAGES_DIR=str(root / "lib"), IMAGE_CACHE_DIR=str(root / "c"))
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    report: dict[str, object] = json.loads(proc.stderr.splitlines()[-1])
    return report


def heavy(report: dict[str, object]) -> list[str]:
    modules = report["modules"]
    assert isinstance(modules, list)
    return sorted(m for m in modules if m in NOT_FOR_READING or m.split(".")[0] in NOT_FOR_READING)


@pytest.mark.parametrize(
    ("args", "shows_id"),
    [
        (("list", "--stream", "s1", "--json"), True),
        (("list", "--search", "encore", "--json"), True),
        (("list", "--search", "enc ore", "--json"), True),  # two terms: counted, ordered
        (("list",), True),
        (("stats",), False),
        (("stats", "--stream", "s1", "--json"), False),
        (("streams", "--json"), False),
    ],
)
def test_reading_commands_load_neither_pillow_nor_the_import_path(
    library: tuple[Path, str], args: tuple[str, ...], shows_id: bool
) -> None:
    root, image_id = library
    report = run_probe(root, *args)
    assert report["code"] in (0, None), report["out"]
    out = str(report["out"])
    assert (image_id in out) if shows_id else ("1" in out)  # it did read the library
    assert heavy(report) == []


def test_the_probe_sees_pillow_where_it_is_needed(library: tuple[Path, str]) -> None:
    """An import does load Pillow: the probe would notice it in a reading command too."""
    root, _ = library
    picture = write_image(root / "more.png", seed=5)
    report = run_probe(root, "import", "--stream", "s1", str(picture))
    assert report["code"] in (0, None), report["out"]
    assert "PIL" in heavy(report)


# Neither the cache simulator nor the workbench (nor the window's memory cache, which brings
# the workbench's policies): a reading command's start-up is the library's, not cache-sim's.
NOT_FOR_READING_PACKAGES = (
    "streamimages_desktop.cli.workbench",
    "streamimages_desktop.cli.cache_sim",
    "streamimages_desktop.core.cache_sim",
    "streamimages_desktop.core.workbench",
    "streamimages_desktop.core.cache",
)


@pytest.mark.parametrize(
    "args",
    [("list", "--stream", "s1", "--json"), ("stats",), ("streams", "--json")],
)
def test_reading_commands_load_no_cache_simulator_nor_workbench(
    library: tuple[Path, str], args: tuple[str, ...]
) -> None:
    root, _ = library
    report = run_probe(root, *args)
    assert report["code"] in (0, None), report["out"]
    modules = report["modules"]
    assert isinstance(modules, list)
    assert "streamimages_desktop.core.manager" in modules  # it did open the library
    loaded = [m for m in modules if m.startswith(NOT_FOR_READING_PACKAGES)]
    assert loaded == []


def test_the_probe_sees_the_workbench_where_it_is_needed(library: tuple[Path, str]) -> None:
    root, _ = library
    report = run_probe(root, "cache-sim", "--requests", "200", "--seed", "1", "--policy", "lru")
    modules = report["modules"]
    assert isinstance(modules, list)
    assert [m for m in modules if m.startswith(NOT_FOR_READING_PACKAGES)] != []
