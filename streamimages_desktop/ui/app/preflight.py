"""Before Qt starts: are the system libraries of Qt's xcb (X11) platform plugin installed?

Without them Qt prints a long "could not load the Qt platform plugin xcb" message that names
only one of them. `make run` runs this first (`python -m streamimages_desktop.ui.app.preflight`)
and, when some are missing, prints the one `apt-get install` line that fixes it (Debian and
Ubuntu package names). It imports no Qt: it must work exactly when Qt cannot.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

# What libqxcb.so and libQt6XcbQpa.so.6 link against outside Qt (readelf -d), with the Debian
# package of each. The README's list is this one.
XCB_LIBRARIES: Mapping[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}


def loads(soname: str) -> bool:
    """True when the dynamic loader finds `soname` (the same search Qt's loader makes)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def uses_xcb(environ: Mapping[str, str]) -> bool:
    """Qt picks xcb on Linux unless QT_QPA_PLATFORM names another platform."""
    platform = environ.get("QT_QPA_PLATFORM", "").strip()
    return sys.platform.startswith("linux") and (
        not platform or platform.split(":")[0].split(";")[0] == "xcb"
    )


def missing_packages(present: Callable[[str], bool] = loads) -> list[str]:
    """The Debian packages of the xcb plugin's libraries that are not installed, sorted."""
    return sorted({package for lib, package in XCB_LIBRARIES.items() if not present(lib)})


def install_line(packages: list[str]) -> str:
    return "sudo apt-get install " + " ".join(packages)


def main(environ: Mapping[str, str] = os.environ) -> int:
    if not uses_xcb(environ):
        return 0
    packages = missing_packages()
    if not packages:
        return 0
    print(
        "streamimages: Qt's X11 (xcb) platform plugin needs system libraries that are not "
        f"installed; install them with:\n  {install_line(packages)}\n"
        "(or run without a display: QT_QPA_PLATFORM=offscreen)",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
