"""`import`, `list`, `show`, `set`, `streams` and `stats`: the library from a shell."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from streamimages_desktop.cli.console import open_library, out
from streamimages_desktop.cli.format import (
    escape,
    image_details,
    image_record,
    images_table,
    stats_table,
    stream_record,
    streams_table,
    to_json,
)
from streamimages_desktop.core.access import lowest_of
from streamimages_desktop.core.errors import NotFound
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Sort, Viewer, Visibility
from streamimages_desktop.core.settings import Settings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms at start-up)
if TYPE_CHECKING:
    from streamimages_desktop.core.importer import ImportResult


def _viewer(manager: StreamImageManager, args: argparse.Namespace) -> Viewer:
    """The role asked for (default owner), capped at a team member's level: a member who
    sees subscribers and public images reads as a subscriber, so `stats` names no private
    count they cannot know."""
    return Viewer(lowest_of(Role(args.as_role), manager.highest_role))


def _result_line(result: ImportResult) -> str:
    from streamimages_desktop.core.importer import ImportStatus

    source = escape(result.source)
    if result.status is ImportStatus.REJECTED:
        return f"rejected {source}: {escape(result.reason or 'refused')}"
    return f"{result.status.value} {result.image_id} {source}"


def _require_stream(manager: StreamImageManager, stream_id: str | None) -> None:
    """A stream asked for by name must exist (stream names are not secret; images are)."""
    if stream_id is not None and not manager.stream_exists(stream_id):
        raise NotFound(f"no stream {stream_id}")


def _import(manager: StreamImageManager, args: argparse.Namespace) -> int:
    # Here, not at the top: `list`, `stats` and `streams` never load the import code.
    from streamimages_desktop.core.importer import ImportOptions, ImportStatus

    options = ImportOptions(
        visibility=Visibility(args.visibility), title=args.title, description=args.description
    )
    results = manager.import_paths(
        OWNER, args.stream, args.paths, options, progress=lambda _d, _t, r: out(_result_line(r))
    )
    return 1 if any(r.status is ImportStatus.REJECTED for r in results) else 0


def _list(manager: StreamImageManager, args: argparse.Namespace) -> int:
    _require_stream(manager, args.stream)
    images = manager.images(_viewer(manager, args), args.stream, args.search, Sort(args.sort))
    out(to_json([image_record(i) for i in images]) if args.json else images_table(images))
    return 0


def _show(manager: StreamImageManager, args: argparse.Namespace) -> int:
    image = manager.open_image(_viewer(manager, args), args.id)
    out(to_json(image_record(image)) if args.json else image_details(image))
    return 0


def _set(manager: StreamImageManager, args: argparse.Namespace) -> int:
    image = manager.update_image(
        OWNER,
        args.id,
        title=args.title,
        description=args.description,
        visibility=None if args.visibility is None else Visibility(args.visibility),
    )
    out(f"updated {image.id}")
    return 0


def _streams(manager: StreamImageManager, args: argparse.Namespace) -> int:
    streams = manager.streams(OWNER)
    out(to_json([stream_record(s) for s in streams]) if args.json else streams_table(streams))
    return 0


def _stats(manager: StreamImageManager, args: argparse.Namespace) -> int:
    _require_stream(manager, args.stream)
    stats = manager.stats(_viewer(manager, args), args.stream)
    out(to_json(stats.as_dict()) if args.json else stats_table(stats))
    return 0


COMMANDS: dict[str, Callable[[StreamImageManager, argparse.Namespace], int]] = {
    "import": _import,
    "list": _list,
    "show": _show,
    "set": _set,
    "streams": _streams,
    "stats": _stats,
}


# The commands that only read: they skip the hourly housekeeping (a write command does it).
READS = frozenset({"list", "show", "streams", "stats"})


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Open the library, run one of COMMANDS, close it; returns the exit status."""
    with open_library(settings, housekeeping=args.command not in READS) as manager:
        return COMMANDS[args.command](manager, args)
