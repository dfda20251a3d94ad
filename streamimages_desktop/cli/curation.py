"""`delete`, `trash`, `restore`, `empty-trash`, `move`, `copy` and `stream`: curating from a shell.

Each command is one core operation the window's undo stack runs as well (issue 9).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from streamimages_desktop.cli.console import error, open_library, out
from streamimages_desktop.cli.format import escape, table, to_json
from streamimages_desktop.core.errors import StreamImagesError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms at start-up)
if TYPE_CHECKING:  # the library code loads only when a command runs (`--help` stays light)
    from typing import Any

    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.core.models import TrashedImage, Viewer
    from streamimages_desktop.core.settings import Settings


def add_parsers(sub: Any, stream_id: Callable[[str], str], days: Callable[[str], Any]) -> None:
    """The curation commands' grammar (parser.py passes its shared argparse types)."""
    delete = sub.add_parser("delete", help="move images to the trash")
    delete.add_argument("ids", nargs="+", metavar="ID", help="ids of the images to trash")

    trash = sub.add_parser("trash", help="the owner's trash: id, stream, title, trashed-at")
    trash.add_argument("--json", action="store_true", help="print a JSON array")

    restore = sub.add_parser("restore", help="bring images back from the trash")
    restore.add_argument("ids", nargs="+", metavar="ID", help="ids of trashed images")

    empty = sub.add_parser("empty-trash", help="purge the trash (originals no row uses go)")
    empty.add_argument("--older-than", type=days, metavar="DAYS", help="only what is older")

    for name, verb in (("move", "move"), ("copy", "copy")):
        cmd = sub.add_parser(name, help=f"{verb} images to another stream")
        cmd.add_argument("ids", nargs="+", metavar="ID", help=f"ids of the images to {verb}")
        cmd.add_argument(
            "--to", required=True, type=stream_id, metavar="STREAM", help="the target stream"
        )

    stream = sub.add_parser("stream", help="create, rename or delete a stream")
    actions = stream.add_subparsers(dest="stream_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="a new empty stream")
    create.add_argument("id", type=stream_id, metavar="ID", help="the new stream's id (a slug)")
    create.add_argument("--title", help="its title (default: the id)")
    rename = actions.add_parser("rename", help="give a stream a new title")
    rename.add_argument("id", type=stream_id, metavar="ID", help="the stream to rename")
    rename.add_argument("title", metavar="TITLE", help="its new title")
    gone = actions.add_parser("delete", help="move a stream and its images to the trash")
    gone.add_argument("id", type=stream_id, metavar="ID", help="the stream to trash")


def _owner() -> Viewer:
    """The owner, from the models once a command runs (building the parser needs none)."""
    from streamimages_desktop.core.models import OWNER

    return OWNER


def _delete(manager: StreamImageManager, args: argparse.Namespace) -> int:
    status = 0
    for image_id in args.ids:
        if manager.delete_images(_owner(), [image_id]):
            out(f"trashed {escape(image_id)}")
        else:
            error(f"no image {image_id}")
            status = 1
    return status


def _record(item: TrashedImage) -> dict[str, Any]:
    return {
        "id": item.image.id,
        "stream": item.image.stream_id,
        "title": item.image.title,
        "trashed": item.trashed.isoformat(),
    }


def _trash(manager: StreamImageManager, args: argparse.Namespace) -> int:
    items = manager.trash(_owner())
    if args.json:
        out(to_json([_record(i) for i in items]))
    elif not items:
        out("the trash is empty")
    else:
        rows = [
            [i.image.id, i.image.stream_id, i.image.title, i.trashed.strftime("%Y-%m-%d %H:%M")]
            for i in items
        ]
        out(table(["ID", "STREAM", "TITLE", "TRASHED"], rows))
    return 0


def _restore(manager: StreamImageManager, args: argparse.Namespace) -> int:
    status = 0
    for image_id in args.ids:
        try:
            manager.restore_images(_owner(), [image_id])
        except StreamImagesError as exc:
            error(f"{image_id}: {exc}")
            status = 1
        else:
            out(f"restored {escape(image_id)}")
    return status


def _empty_trash(manager: StreamImageManager, args: argparse.Namespace) -> int:
    for image_id in manager.empty_trash(_owner(), args.older_than):
        out(f"purged {image_id}")
    return 0


def _move(manager: StreamImageManager, args: argparse.Namespace) -> int:
    results = manager.move_images(_owner(), args.ids, args.to)
    for r in results:
        if r.ok:
            out(f"moved {escape(r.image_id)} {r.target_stream}")
        else:
            out(f"rejected {escape(r.image_id)}: {escape(r.reason or 'refused')}")
    return 0 if all(r.ok for r in results) else 1


def _copy(manager: StreamImageManager, args: argparse.Namespace) -> int:
    results = manager.copy_images(_owner(), args.ids, args.to)
    for r in results:
        if r.ok:
            out(f"copied {escape(r.image_id)} {r.new_id}")
        else:
            out(f"rejected {escape(r.image_id)}: {escape(r.reason or 'refused')}")
    return 0 if all(r.ok for r in results) else 1


def _stream(manager: StreamImageManager, args: argparse.Namespace) -> int:
    if args.stream_command == "create":
        stream = manager.create_stream(_owner(), args.id, args.title)
        out(f"created {stream.id}")
    elif args.stream_command == "rename":
        manager.rename_stream(_owner(), args.id, args.title)
        out(f"renamed {args.id}")
    else:
        for image_id in manager.delete_stream(_owner(), args.id):
            out(f"trashed {image_id}")
        out(f"trashed stream {args.id}")
    return 0


COMMANDS: dict[str, Callable[[StreamImageManager, argparse.Namespace], int]] = {
    "delete": _delete,
    "trash": _trash,
    "restore": _restore,
    "empty-trash": _empty_trash,
    "move": _move,
    "copy": _copy,
    "stream": _stream,
}


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Open the library, run one of COMMANDS, close it; returns the exit status."""
    with open_library(settings) as manager:
        return COMMANDS[args.command](manager, args)
