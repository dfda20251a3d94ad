"""`streamimages team ...`: set up a team library, give members credentials, move libraries.

`team init`, `add-member`, `set-level`, `remove-member` and `members` run with the owner's
settings (the database URL of the role that owns the team library, the storage's admin keys);
`push` copies the local library into the team library the settings name, `pull` the other way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from streamimages_desktop.cli.console import error, open_library, out
from streamimages_desktop.cli.format import escape
from streamimages_desktop.core.settings import Settings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms at start-up)
if TYPE_CHECKING:
    from typing import Any

COMMAND = "team"
LEVELS = ("all", "subscribers", "public")


def add_parser(subparsers: Any) -> None:
    team = subparsers.add_parser(
        COMMAND,
        help="a library shared by a moderation team (PostgreSQL and S3-compatible storage)",
        description="A team library keeps its rows in PostgreSQL (STREAM_IMAGES_DATABASE_URL "
        "or --library-url) and its originals in an S3-compatible bucket "
        "(STREAM_IMAGES_BLOB_URL, STREAM_IMAGES_BLOB_ENDPOINT and your keys). Each member "
        "signs in with their own database role and storage keys; the servers keep images "
        "above a member's level away from them.",
    )
    steps = team.add_subparsers(dest="team_command", metavar="STEP", required=True)
    init = steps.add_parser(
        "init",
        help="create the team library's tables, roles, policies and bucket (run once, as owner)",
    )
    init.add_argument(
        "--max-per-stream",
        type=int,
        metavar="N",
        help="the most images one stream may hold, kept by the database for everyone"
        " (default: MAX_STREAM_IMAGES_PER_STREAM)",
    )
    member = steps.add_parser(
        "add-member", help="give a moderator their own database role and storage keys"
    )
    member.add_argument("name", metavar="NAME", help="the member's name (letters, digits, _)")
    member.add_argument(
        "--level",
        required=True,
        choices=LEVELS,
        help="what they may see: all (private too), subscribers (and public), or public",
    )
    member.add_argument(
        "--can-edit", action="store_true", help="they may import, edit, move and delete"
    )
    member.add_argument(
        "--write-settings",
        type=Path,
        metavar="FILE",
        help="write their settings.toml (owner-only) to FILE instead of printing it",
    )
    level = steps.add_parser(
        "set-level",
        help="change a member's level and/or edit right (their login and keys stay the same)",
        description="Change what a member may see and whether they may edit, in the database"
        " and in the storage together; it applies from their next query or request.",
    )
    level.add_argument("name", metavar="NAME", help="the member's name (as `team members` lists)")
    level.add_argument(
        "--level",
        choices=LEVELS,
        help="what they may see from now on: all (private too), subscribers (and public), or"
        " public (default: unchanged)",
    )
    level.add_argument(
        "--can-edit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="--can-edit: they may import, edit, move and delete; --no-can-edit: they may only"
        " read (default: unchanged)",
    )
    level.set_defaults(usage_error=level.error)
    gone = steps.add_parser(
        "remove-member",
        help="take a member out: their database login and storage keys stop working",
        description="Drop a member's database login and delete their storage keys, and end"
        " their open database sessions; the images they made stay in the library.",
    )
    gone.add_argument("name", metavar="NAME", help="the member's name (as `team members` lists)")
    steps.add_parser(
        "members", help="list the team's members with their level and edit right (no secrets)"
    )
    push = steps.add_parser(
        "push", help="copy a local library into the team library (resumable, idempotent)"
    )
    push.add_argument(
        "--from",
        dest="local",
        type=Path,
        metavar="DIR",
        help="the local library folder (default: STREAM_IMAGES_DIR)",
    )
    pull = steps.add_parser(
        "pull", help="copy the team library into a local library, to work offline"
    )
    pull.add_argument(
        "--to",
        dest="local",
        type=Path,
        metavar="DIR",
        help="the local library folder (default: STREAM_IMAGES_DIR)",
    )


def _local(settings: Settings, folder: Path | None) -> Settings:
    """The same settings naming the local library (the folder given, or STREAM_IMAGES_DIR)."""
    return settings._replace(
        stream_images_dir=(folder or settings.stream_images_dir).expanduser().absolute(),
        stream_images_database_url="",
        stream_images_blob_url="",
    )


def _require_team(settings: Settings) -> bool:
    from streamimages_desktop.core.library_location import location_of

    if location_of(settings).is_team:
        return True
    error(
        "no team library: set STREAM_IMAGES_DATABASE_URL (or --library-url) and "
        "STREAM_IMAGES_BLOB_URL"
    )
    return False


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not _require_team(settings):
        return 1
    step = args.team_command
    if step in ("push", "pull"):
        from streamimages_desktop.cli.transfer_report import run_transfer_command
        from streamimages_desktop.core.library_location import LIBRARY_FILE

        local = _local(settings, args.local)
        if step == "push" and not (local.stream_images_dir / LIBRARY_FILE).is_file():
            error(f"no local library in {local.stream_images_dir}: nothing to push")
            return 1
        source, target = (local, settings) if step == "push" else (settings, local)
        with open_library(source) as source_library, open_library(target) as target_library:
            return run_transfer_command(source_library, target_library, out)
    from streamimages_desktop.core import team_admin

    if step == "init":
        limit = args.max_per_stream or settings.max_stream_images_per_stream
        for line in team_admin.init_team(settings, max_per_stream=limit):
            out(line)
        return 0
    if step == "set-level":
        if args.level is None and args.can_edit is None:
            args.usage_error("nothing to change: give --level, --can-edit or --no-can-edit")
        out(team_admin.set_member_level(settings, args.name, args.level, can_edit=args.can_edit))
        return 0
    if step == "remove-member":
        out(team_admin.remove_member(settings, args.name))
        return 0
    if step == "members":
        members = team_admin.list_members(settings)
        width = max((len(escape(m.name)) for m in members), default=0)
        for m in members:
            edits = "may edit" if m.can_edit else "read only"
            owner = "  (owner)" if m.is_owner else ""
            out(f"{escape(m.name):<{width}}  {m.level:<11}  {edits}{owner}")
        return 0
    credentials = team_admin.add_member(settings, args.name, args.level, can_edit=args.can_edit)
    text = credentials.settings_toml()
    if args.write_settings is None:
        out(text.rstrip("\n"))
    else:
        team_admin.write_private(args.write_settings, text)
        out(f"wrote {args.name}'s settings to {args.write_settings} (send it privately)")
    return 0
