"""Which files an import tries: the paths given, with folders walked in sorted name order.

Its own module because it decides nothing about a file's content: it only turns what was
dropped or named into an ordered list of files (and refusals for folders that cannot be read).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

from streamimages_desktop.core.import_results import ImportResult, read_reason, rejected


def _walk(folder: Path, skip: frozenset[Path]) -> Iterator[Path | ImportResult]:
    """Every entry below `folder`, sorted by name; symlinked folders are listed, not entered.

    Hidden entries (".DS_Store", ".git") and the application's own library and cache folders
    are passed over: nobody means to import those by dropping a parent folder.
    """
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield rejected(str(folder), f"cannot read folder: {read_reason(exc)}")
        return
    for entry in entries:
        path = folder / entry.name
        if entry.name.startswith(".") or path.absolute() in skip:
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(path, skip)
        else:
            yield path


def expand_paths(paths: Sequence[Path], skip: Collection[Path] = ()) -> list[Path | ImportResult]:
    """Files to try, in order: folders are walked recursively in sorted order.

    A folder named directly is walked; a symbolic link to a folder is never followed (it is
    tried as a file and refused), so link loops cannot trap the walk. A folder holding no
    files gives one refusal so the user hears about it. Folders in `skip` are not entered.
    """
    skipped = frozenset(p.absolute() for p in skip)
    items: list[Path | ImportResult] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and not path.is_symlink():
            found = list(_walk(path, skipped))
            items.extend(found or [rejected(str(path), "folder holds no files")])
        else:
            items.append(path)
    return items
