"""`streamimages export`: clean derivatives of what a role may see, to a folder or a zip."""

from __future__ import annotations

import argparse
from pathlib import Path

from streamimages_desktop.cli.console import open_library, out
from streamimages_desktop.cli.format import escape
from streamimages_desktop.cli.names import ROLES, validate_stream_id

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms at start-up)
if TYPE_CHECKING:
    from typing import Any

    from streamimages_desktop.core.settings import Settings


def add_parser(subparsers: Any) -> None:
    export = subparsers.add_parser(
        "export",
        help="export clean copies of the images a role may see to a folder or a zip",
        description="Writes a freshly encoded copy of each image (upright, sRGB, with no EXIF, "
        "XMP, comments or other metadata) named from its title. Images the role may not see "
        "are left out without a word; when that leaves none, nothing is written and it says so. "
        "Nothing is written unless everything is.",
    )
    export.add_argument("ids", nargs="*", metavar="ID", help="the images to export")
    export.add_argument("--stream", type=validate_stream_id, help="a stream's images")
    export.add_argument("--all", action="store_true", help="every image the role may see")
    export.add_argument(
        "--as",
        dest="as_role",
        choices=ROLES,
        default="viewer",
        help="export what this role may see (default: viewer)",
    )
    where = export.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", type=Path, metavar="DIR", help="a folder (made if missing)")
    where.add_argument("--zip", type=Path, metavar="FILE", help="a zip file (replaced whole)")
    export.add_argument(
        "--manifest", action="store_true", help="add manifest.csv and manifest.json"
    )
    export.set_defaults(usage_error=export.error)


def run(args: argparse.Namespace, settings: Settings) -> int:
    chosen = [bool(args.ids), args.stream is not None, args.all]
    if chosen.count(True) != 1:
        args.usage_error("give exactly one of --stream S, --all or image IDs")
    from streamimages_desktop.core.models import Role, Viewer

    viewer = Viewer(Role(args.as_role))
    with open_library(settings) as manager:
        images = manager.export_selection(viewer, image_ids=args.ids or None, stream_id=args.stream)
        target = args.zip if args.zip is not None else args.to
        result = manager.export(
            viewer, target, images, as_zip=args.zip is not None, manifest=args.manifest
        )
    for item in result.exported:
        out(f"exported {item.image_id} {escape(str(item.path))}")
    return 0
