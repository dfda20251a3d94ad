"""`make run`'s check for the xcb plugin's system libraries, run for real before any Qt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from streamimages_desktop.ui.app import preflight

README = Path(__file__).resolve().parents[3] / "README.md"


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"} | env
    code = (
        "import sys, runpy\n"
        "try:\n"
        "    runpy.run_module('streamimages_desktop.ui.app.preflight', run_name='__main__')\n"
        "finally:\n"
        "    assert 'PySide6' not in sys.modules, 'preflight imported Qt'\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=60
    )


def test_missing_libraries_become_one_install_line() -> None:
    absent = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0"}
    packages = preflight.missing_packages(lambda lib: lib not in absent)
    assert preflight.install_line(packages) == (
        "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"
    )
    assert preflight.missing_packages(lambda lib: True) == []


def test_only_the_xcb_platform_is_checked() -> None:
    assert preflight.uses_xcb({}) is sys.platform.startswith("linux")
    assert preflight.uses_xcb({"QT_QPA_PLATFORM": "xcb"}) is sys.platform.startswith("linux")
    assert not preflight.uses_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert not preflight.uses_xcb({"QT_QPA_PLATFORM": "wayland"})


def test_the_script_says_what_this_machine_lacks() -> None:
    missing = preflight.missing_packages()
    proc = _run({})
    assert proc.returncode == (1 if missing else 0), proc.stderr
    if missing:
        assert f"  {preflight.install_line(missing)}\n" in proc.stderr
    offscreen = _run({"QT_QPA_PLATFORM": "offscreen"})
    assert (offscreen.returncode, offscreen.stderr) == (0, "")


def test_the_readme_and_the_makefile_name_them() -> None:
    text = README.read_text(encoding="utf-8")
    assert all(package in text for package in preflight.XCB_LIBRARIES.values())
    makefile = (README.parent / "Makefile").read_text(encoding="utf-8")
    run_target = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "streamimages_desktop.ui.app.preflight" in run_target
