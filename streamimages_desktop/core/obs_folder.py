"""OBS hand-off without a connection: files an Image Source or Image Slide Show reads.

OBS's Image Source re-reads its file when the modification time changes, and shows nothing
if it reads a half-written file. So each image is first written as a new, complete file, and
`current.<ext>` is then replaced by a rename (temp file, fsync, os.replace): a reader sees
the old picture or the new one, never a part. The slideshow folder is rewritten the same way:
the new files first, then the removal of those no longer in the show.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from streamimages_desktop.core import failures
from streamimages_desktop.core.atomic import atomic_write, fsync_dir
from streamimages_desktop.core.derivatives import EXTENSION, Derivative

CURRENT: Final = "current"
SHOWN_KEPT: Final = 3  # earlier versions kept a moment, in case OBS is still reading one
_SHOWN_RE: Final = re.compile(r"shown-(\d{6})-[\w-]+\.(jpg|png|gif|webp)")
_SLIDE_RE: Final = re.compile(r"\d{4}-[\w-]+\.(jpg|png|gif|webp)")
FILE_MODE: Final = 0o644  # OBS may run as another user of this machine


def replace_file(path: Path, data: bytes) -> None:
    """Temp file beside `path`, fsync, rename over it: OBS sees the old file or the new one."""
    atomic_write(path, data, FILE_MODE)


def write_versioned(folder: Path, image_id: str, derivative: Derivative) -> Path:
    """A new file `shown-<n>-<id>.<ext>` (n one more than the newest there); older versions
    beyond SHOWN_KEPT are removed afterwards."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        versions = sorted(
            (int(m.group(1)), name)
            for name in os.listdir(folder)
            if (m := _SHOWN_RE.fullmatch(name)) is not None
        )
        number = (versions[-1][0] + 1) % 1_000_000 if versions else 1
        path = folder / f"shown-{number:06d}-{image_id}{derivative.extension}"
        replace_file(path, derivative.data)
        for _, old in versions[: max(0, len(versions) + 1 - SHOWN_KEPT)]:
            with contextlib.suppress(OSError):
                os.unlink(folder / old)
    except OSError as exc:
        raise failures.from_os(exc, "OBS output folder", folder) from None
    return path


def show(folder: Path, image_id: str, derivative: Derivative) -> Path:
    """Put one image on `current.<ext>` in `folder`; returns that path.

    A `current` file of another type is removed, so the folder never shows two pictures.
    """
    versioned = write_versioned(folder, image_id, derivative)
    current = folder / f"{CURRENT}{derivative.extension}"
    try:
        replace_file(current, versioned.read_bytes())
        fsync_dir(folder)
        for extension in set(EXTENSION.values()) - {derivative.extension}:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(folder / f"{CURRENT}{extension}")
    except OSError as exc:
        raise failures.from_os(exc, "OBS output folder", folder) from None
    return current


def slideshow(folder: Path, slides: Sequence[tuple[str, Derivative]]) -> list[Path]:
    """Rewrite `folder` to hold exactly `slides` (id, derivative) as `0001-<id>.<ext>`, ...,
    in order: every new file is written before any old one is removed."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for number, (image_id, derivative) in enumerate(slides, start=1):
            path = folder / f"{number:04d}-{image_id}{derivative.extension}"
            replace_file(path, derivative.data)
            paths.append(path)
        fsync_dir(folder)
        keep = {p.name for p in paths}
        for name in os.listdir(folder):
            if _SLIDE_RE.fullmatch(name) and name not in keep:
                os.unlink(folder / name)
        fsync_dir(folder)
    except OSError as exc:
        raise failures.from_os(exc, "OBS slideshow folder", folder) from None
    return paths
