"""`streamimages on-stream` and `slideshow`: hand clean images an audience may see to OBS."""

from __future__ import annotations

import argparse
from pathlib import Path

from streamimages_desktop.cli.console import error, open_library, out
from streamimages_desktop.cli.format import escape
from streamimages_desktop.cli.names import validate_stream_id

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms at start-up)
if TYPE_CHECKING:
    from typing import Any

    from streamimages_desktop.core.settings import Settings

AUDIENCES = ["viewer", "subscriber"]  # Role.VIEWER, Role.SUBSCRIBER
COMMANDS = ("on-stream", "slideshow")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="as_role",
        choices=AUDIENCES,
        default="viewer",
        help="the audience whose images may be sent (default: viewer)",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--folder", type=Path, metavar="DIR", help="write files an OBS source reads from DIR"
    )
    where.add_argument(
        "--obs-input",
        metavar="NAME",
        help="point this OBS input at the files (obs-websocket, OBS_WEBSOCKET_URL)",
    )


def add_parsers(subparsers: Any) -> None:
    show = subparsers.add_parser(
        "on-stream",
        help="show one image on stream through OBS",
        description="Writes a clean copy of the image and, with --folder, atomically replaces "
        "DIR/current.<ext> (point an OBS Image Source at it); with --obs-input, points that "
        "input at the new file over obs-websocket.",
    )
    show.add_argument("id", metavar="ID", help="the image to show on stream")
    _add_common(show)
    slides = subparsers.add_parser(
        "slideshow",
        help="send a stream's images to an OBS slideshow",
        description="Writes clean copies of the stream's images the audience may see, in grid "
        "order, into DIR (point an OBS Image Slide Show at it), or into the library's obs "
        "folder and re-applies the --obs-input slideshow's files over obs-websocket.",
    )
    slides.add_argument(
        "--stream", required=True, type=validate_stream_id, help="the stream to show, in grid order"
    )
    _add_common(slides)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from streamimages_desktop.core.models import Role, Viewer

    viewer = Viewer(Role(args.as_role))
    with open_library(settings) as manager:
        if args.command == "on-stream":
            if args.folder is not None:
                paths = [manager.show_in_folder(viewer, args.id, args.folder)]
            else:
                paths = [manager.show_on_obs(viewer, args.id, args.obs_input)]
            out(f"on stream {args.id} {escape(str(paths[0]))}")
            return 0
        if args.folder is not None:
            paths = manager.slideshow_to_folder(viewer, args.stream, args.folder)
        else:
            paths = manager.slideshow_on_obs(viewer, args.stream, args.obs_input)
    if not paths:  # emptied, as asked: nothing the audience may not see stays on stream
        from streamimages_desktop.core.labels import visible_to

        error(
            f"warning: the slideshow is empty: no image of stream {args.stream} is "
            f"{visible_to(viewer.role)}"
        )
    for path in paths:
        out(f"slide {escape(str(path))}")
    return 0
