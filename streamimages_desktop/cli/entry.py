"""The `streamimages` command line: import, list, show, edit and delete; `gui` starts the app."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from PIL import Image

from streamimages_desktop import __version__
from streamimages_desktop.cli import cache as cli_cache
from streamimages_desktop.cli import check as cli_check
from streamimages_desktop.cli.format import (
    escape,
    image_details,
    image_record,
    images_table,
    printable,
    stats_table,
    stream_record,
    streams_table,
    to_json,
)
from streamimages_desktop.core.errors import NotFound, StreamImagesError
from streamimages_desktop.core.importer import ImportOptions, ImportResult, ImportStatus
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import (
    OWNER,
    InvalidStreamId,
    Role,
    Sort,
    Viewer,
    Visibility,
    validate_stream_id,
)
from streamimages_desktop.core.settings import Settings, SettingsError

PROG = "streamimages"
ROLES = [r.value for r in Role]
VISIBILITIES = [v.value for v in Visibility]
SORTS = [s.value for s in Sort]


def _stream_id(text: str) -> str:
    try:
        return validate_stream_id(text)
    except InvalidStreamId as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _folder(text: str) -> Path:
    """A folder option; an empty one is refused, as Path("") would quietly mean "here"."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder path, got an empty one")
    return Path(text)


def _add_role(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="as_role",
        choices=ROLES,
        default=Role.OWNER.value,
        help="see the library as this role (default: owner)",
    )


class _Parser(argparse.ArgumentParser):
    """argparse whose error line escapes what was typed: an argument holding a newline or a
    terminal escape sequence stays one printable line (subcommand parsers inherit this)."""

    def error(self, message: str) -> NoReturn:
        super().error(printable(message))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG, description="Curate, protect and browse the images of your live streams."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--library", type=_folder, help="library folder (STREAM_IMAGES_DIR)")
    parser.add_argument(
        "--cache-dir", type=_folder, help="rendition cache folder (IMAGE_CACHE_DIR)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="start the desktop application (the default)")
    gui.add_argument("--stream", type=_stream_id, help="open this stream")
    gui.add_argument("--role", choices=ROLES, help="start as this role")
    gui.add_argument("--screenshot", type=Path, metavar="FILE", help="save a screenshot and quit")

    imp = sub.add_parser("import", help="import image files or folders into a stream")
    imp.add_argument("--stream", required=True, type=_stream_id)
    imp.add_argument("--visibility", choices=VISIBILITIES, default=Visibility.PUBLIC.value)
    imp.add_argument("--title", help="title of every imported image (default: the file name)")
    imp.add_argument("--description", default="")
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")

    lst = sub.add_parser("list", help="list the images a role may see")
    lst.add_argument("--stream", type=_stream_id)
    _add_role(lst)
    lst.add_argument("--search", help="full-text search in titles, descriptions and file names")
    lst.add_argument("--sort", choices=SORTS, default=Sort.NEWEST.value)
    lst.add_argument("--json", action="store_true", help="print a JSON array")

    show = sub.add_parser("show", help="show one image (counts a view for subscriber/viewer)")
    show.add_argument("id")
    _add_role(show)
    show.add_argument("--json", action="store_true")

    upd = sub.add_parser("set", help="change an image's visibility, title or description")
    upd.add_argument("id")
    upd.add_argument("--visibility", choices=VISIBILITIES)
    upd.add_argument("--title")
    upd.add_argument("--description")

    delete = sub.add_parser("delete", help="delete images")
    delete.add_argument("ids", nargs="+", metavar="ID")

    streams = sub.add_parser("streams", help="list streams")
    streams.add_argument("--json", action="store_true")

    stats = sub.add_parser("stats", help="totals a role may see")
    stats.add_argument("--stream", type=_stream_id)
    _add_role(stats)
    stats.add_argument("--json", action="store_true")

    upd.set_defaults(usage_error=upd.error)

    cli_cache.add_parsers(sub)
    cli_check.add_parser(sub)
    return parser


# -- commands ---------------------------------------------------------------------------------


def _out(text: str) -> None:
    print(text, flush=True)


def _result_line(result: ImportResult) -> str:
    source = escape(result.source)
    if result.status is ImportStatus.REJECTED:
        return f"rejected {source}: {escape(result.reason or 'refused')}"
    return f"{result.status.value} {result.image_id} {source}"


def _require_stream(manager: StreamImageManager, stream_id: str | None) -> None:
    """A stream asked for by name must exist (stream names are not secret; images are)."""
    if stream_id is not None and all(s.stream.id != stream_id for s in manager.streams(OWNER)):
        raise NotFound(f"no stream {stream_id}")


def _cmd_import(manager: StreamImageManager, args: argparse.Namespace) -> int:
    options = ImportOptions(
        visibility=Visibility(args.visibility), title=args.title, description=args.description
    )
    results = manager.import_paths(
        OWNER, args.stream, args.paths, options, progress=lambda _d, _t, r: _out(_result_line(r))
    )
    return 1 if any(r.status is ImportStatus.REJECTED for r in results) else 0


def _cmd_list(manager: StreamImageManager, args: argparse.Namespace) -> int:
    _require_stream(manager, args.stream)
    images = manager.images(Viewer(Role(args.as_role)), args.stream, args.search, Sort(args.sort))
    _out(to_json([image_record(i) for i in images]) if args.json else images_table(images))
    return 0


def _cmd_show(manager: StreamImageManager, args: argparse.Namespace) -> int:
    image = manager.open_image(Viewer(Role(args.as_role)), args.id)
    _out(to_json(image_record(image)) if args.json else image_details(image))
    return 0


def _cmd_set(manager: StreamImageManager, args: argparse.Namespace) -> int:
    image = manager.update_image(
        OWNER,
        args.id,
        title=args.title,
        description=args.description,
        visibility=None if args.visibility is None else Visibility(args.visibility),
    )
    _out(f"updated {image.id}")
    return 0


def _cmd_delete(manager: StreamImageManager, args: argparse.Namespace) -> int:
    status = 0
    for image_id in args.ids:
        if manager.delete_images(OWNER, [image_id]):
            _out(f"deleted {escape(image_id)}")
        else:
            _error(f"no image {image_id}")
            status = 1
    return status


def _cmd_streams(manager: StreamImageManager, args: argparse.Namespace) -> int:
    streams = manager.streams(OWNER)
    _out(to_json([stream_record(s) for s in streams]) if args.json else streams_table(streams))
    return 0


def _cmd_stats(manager: StreamImageManager, args: argparse.Namespace) -> int:
    _require_stream(manager, args.stream)
    stats = manager.stats(Viewer(Role(args.as_role)), args.stream)
    _out(to_json(stats.as_dict()) if args.json else stats_table(stats))
    return 0


_COMMANDS = {
    "import": _cmd_import,
    "list": _cmd_list,
    "show": _cmd_show,
    "set": _cmd_set,
    "delete": _cmd_delete,
    "streams": _cmd_streams,
    "stats": _cmd_stats,
}


def _run_gui(settings: Settings, args: argparse.Namespace) -> int:
    for name in ("stream", "role", "screenshot"):  # `streamimages` alone means `gui`
        if not hasattr(args, name):
            setattr(args, name, None)
    from streamimages_desktop.ui.app.main import run_gui  # the only place Qt is imported

    return int(run_gui(settings, args))


def _dispatch(settings: Settings, args: argparse.Namespace) -> int:
    if args.command in (None, "gui"):
        return _run_gui(settings, args)
    if args.command in _COMMANDS:
        with StreamImageManager(settings) as manager:
            return _COMMANDS[args.command](manager, args)
    if args.command == "check":
        return cli_check.run(args, settings)
    return cli_cache.run(args, settings)


# -- entry point ------------------------------------------------------------------------------


def _error(message: str) -> None:
    print(f"{PROG}: {escape(message)}", file=sys.stderr, flush=True)


def quiet_pillow_warnings() -> None:
    """Pillow warns (UserWarning) about damage it works around, such as broken EXIF; the import
    already decides what such a file is worth, so a Python warning line would only alarm.

    Its decompression-bomb warning becomes an error, as the import rules demand. Installed once
    at start-up, before any worker thread exists (the filter list is process-wide).
    """
    warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL(\.|$)")
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 refused or failed, 2 usage, 130 ^C)."""
    quiet_pillow_warnings()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command == "set" and (args.title, args.description, args.visibility) == (None,) * 3:
            args.usage_error("nothing to change: give --visibility, --title or --description")
        settings = Settings.load(library=args.library, cache_dir=args.cache_dir)
        return _dispatch(settings, args)
    except SettingsError as exc:  # a bad environment or config value names the setting
        _error(str(exc))
        return 2
    except StreamImagesError as exc:
        _error(str(exc))
        return 1
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, without a second error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
