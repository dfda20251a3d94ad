"""Export: clean derivatives of what a role may see, to a folder or a zip, all or nothing.

The caller (StreamImageManager.export) has already chosen the images through the access
rules and hands in a function that makes each one's derivative; this module only names,
writes and describes them. Everything is written to a temp folder or temp zip first and
renamed into place at the end, so a cancel or a failure leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from streamimages_desktop.core import failures
from streamimages_desktop.core.atomic import fsync_dir, temp_name, write_all
from streamimages_desktop.core.derivatives import Derivative
from streamimages_desktop.core.errors import UserError
from streamimages_desktop.core.models import StreamImage

MANIFEST_FIELDS: Final = ("file", "title", "description", "visibility", "stream")
MANIFEST_NAMES: Final = ("manifest.csv", "manifest.json")
MAX_NAME_CHARS: Final = 80
_UNSAFE: Final = re.compile(r"[^\w .()+,=@-]+")
_WINDOWS_RESERVED: Final = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)

ExportProgress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class Exported:
    """One image written: its id and where it is (inside a zip: `<zip>/<member>`)."""

    image_id: str
    path: Path


@dataclass(frozen=True)
class ExportResult:
    exported: list[Exported]
    cancelled: bool = False


def safe_name(title: str, fallback: str) -> str:
    """A file name stem from a title: no separators, control characters, leading dots or
    reserved device names, at most MAX_NAME_CHARS; `fallback` when nothing is left."""
    text = unicodedata.normalize("NFKC", title)
    text = "".join(c if c.isprintable() else " " for c in text)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\s+", " ", text).strip(" ._")[:MAX_NAME_CHARS].strip(" ._")
    if not text or text.lower().split(".")[0] in _WINDOWS_RESERVED:
        text = f"{text}_{fallback}" if text else fallback
    return text


class _Names:
    """Unique file names (compared case-insensitively, as on macOS and Windows)."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self._taken = {name.lower() for name in taken or set()} | set(MANIFEST_NAMES)

    def unique(self, stem: str, extension: str) -> str:
        name, n = f"{stem}{extension}", 2
        while name.lower() in self._taken:
            name, n = f"{stem}-{n}{extension}", n + 1
        self._taken.add(name.lower())
        return name


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): a title
# like "=HYPERLINK(...)" is written with a leading apostrophe, as OWASP advises.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def manifest_files(rows: list[dict[str, str]]) -> dict[str, bytes]:
    """manifest.csv and manifest.json for the rows (MANIFEST_FIELDS each); the CSV's text
    cells never start a formula, the JSON keeps the text as it is."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=MANIFEST_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows)
    as_json = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    return {"manifest.csv": text.getvalue().encode("utf-8"), "manifest.json": as_json.encode()}


def export_images(
    images: Sequence[StreamImage],
    make: Callable[[StreamImage], Derivative],
    target: Path,
    *,
    as_zip: bool = False,
    manifest: bool = False,
    progress: ExportProgress | None = None,
    cancel: threading.Event | None = None,
) -> ExportResult:
    """Write each image's derivative to `target` (a folder, or a zip file with `as_zip`).

    A folder may exist (names then avoid what is in it) or not; a zip is replaced whole.
    Cancel is checked between images; a cancelled export writes nothing.
    """
    target = target.expanduser().absolute()
    if as_zip and target.is_dir():
        raise UserError(f"{target} is a folder: give a zip file name")
    if as_zip and target.exists() and not target.is_file():
        # The zip is renamed over the target: a device or a pipe would be replaced by it.
        raise UserError(f"{target} is a device, pipe or socket: give a zip file name")
    if not as_zip and target.exists() and not target.is_dir():
        raise UserError(f"{target} is a file: give a folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        taken = set() if as_zip or not target.is_dir() else set(os.listdir(target))
    except OSError as exc:
        raise failures.from_os(exc, "export folder", target.parent) from None
    names = _Names(taken)
    written: list[tuple[StreamImage, str, Derivative]] = []
    for done, image in enumerate(images):
        if cancel is not None and cancel.is_set():
            return ExportResult([], cancelled=True)
        derivative = make(image)
        written.append(
            (
                image,
                names.unique(safe_name(image.title, image.id), derivative.extension),
                derivative,
            )
        )
        if progress is not None:
            progress(done + 1, len(images))
    files = {name: d.data for _, name, d in written}
    if manifest:
        rows = [
            {
                "file": name,
                "title": image.title,
                "description": image.description,
                "visibility": image.visibility.value,
                "stream": image.stream_id,
            }
            for image, name, _ in written
        ]
        files.update(manifest_files(rows))
    if cancel is not None and cancel.is_set():
        return ExportResult([], cancelled=True)
    try:
        if as_zip:
            _write_zip(target, files)
        else:
            _write_folder(target, files)
    except OSError as exc:
        raise failures.from_os(exc, "export", target) from None
    return ExportResult([Exported(image.id, target / name) for image, name, _ in written])


def _write_zip(target: Path, files: dict[str, bytes]) -> None:
    """The zip is built in a temp file beside `target` and renamed over it when complete."""
    tmp = target.parent / temp_name()
    try:
        with open(tmp, "xb") as raw:
            with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as archive:
                for name, data in files.items():
                    archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(target.parent)


def _write_folder(target: Path, files: dict[str, bytes]) -> None:
    """Files go to a temp folder beside `target`, then the folder (or each file, when
    `target` already exists) is renamed into place."""
    staging = target.parent / temp_name()
    staging.mkdir(mode=0o700)
    try:
        for name, data in files.items():
            fd = os.open(staging / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            try:
                write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        if not target.exists():
            os.chmod(staging, 0o755)
            os.rename(staging, target)
        else:
            for name in files:
                os.replace(staging / name, target / name)
            staging.rmdir()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_dir(target)
    fsync_dir(target.parent)
