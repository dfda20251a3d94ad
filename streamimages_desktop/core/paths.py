"""Where the library and cache live: appdirs defaults, private folders, a CACHEDIR.TAG."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import appdirs

APP_NAME = "StreamImages"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file marks the StreamImages rendition cache; backup tools may skip it.\n"
)


def default_library_dir() -> Path:
    return Path(appdirs.user_data_dir(APP_NAME, appauthor=False)) / "stream_images"


def default_cache_dir() -> Path:
    return Path(appdirs.user_cache_dir(APP_NAME, appauthor=False)) / "image_cache"


def default_config_file() -> Path:
    return Path(appdirs.user_config_dir(APP_NAME, appauthor=False)) / "settings.toml"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the user only; an existing folder is left as is."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def ensure_cache_dir(path: Path) -> Path:
    """Create the cache folder with a CACHEDIR.TAG so backup tools skip it."""
    ensure_private_dir(path)
    tag = path / "CACHEDIR.TAG"
    if not tag.exists():
        try:  # owner-only from the start, like every file the app makes
            fd = os.open(tag, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except FileExistsError:  # another process made it meanwhile
            return path
        with os.fdopen(fd, "wb") as f:
            f.write(CACHEDIR_TAG.encode("ascii"))
    return path


def in_the_way(folder: Path) -> str | None:
    """What stands where `folder` should be, if not a folder (a file, a link loop); else None."""
    try:
        info = os.stat(folder)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop is in the way (its links point at each other)"
        if exc.errno == errno.ENOTDIR:
            return "a file is in the way (a folder is needed there)"
        if os.path.islink(folder):
            return "a broken symbolic link is in the way (what it points to is missing)"
        return None  # missing, or unreadable (whoever opens it says why)
    return None if stat.S_ISDIR(info.st_mode) else "a file is in the way (a folder is needed there)"
