"""Text and JSON output of the command line: escaped names, plain tables, image records."""

from __future__ import annotations

from collections.abc import Sequence

from streamimages_desktop.core.units import format_bytes

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms at start-up)
if TYPE_CHECKING:  # annotations only: escaping a usage error must not load the models
    from datetime import datetime
    from typing import Any

    from streamimages_desktop.core.models import Stats, StreamImage, StreamSummary

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
# Bidirectional overrides and line separators can make a name look like something else.
_INVISIBLE = frozenset(
    [0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def _escaped_char(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF or code in _INVISIBLE:  # lone surrogates: undecodable bytes
        return f"\\u{code:04x}"
    return ch


def escape(text: str) -> str:
    """Printable text: C0/C1 controls, backslash, surrogates and bidi controls escaped."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_escaped_char(ch) for ch in text)


def printable(text: str) -> str:
    """Like escape() but keeps backslashes: for messages (argparse's) that already quote with
    repr, where doubling them would garble the quoted value."""
    if text.isprintable():
        return text
    return "".join(ch if ch == "\\" else _escaped_char(ch) for ch in text)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat(timespec="seconds")


def image_record(image: StreamImage) -> dict[str, Any]:
    """The JSON form of an image (list --json, show --json)."""
    return {
        "id": image.id,
        "stream": image.stream_id,
        "title": image.title,
        "description": image.description,
        "original_name": image.original_name,
        "visibility": image.visibility.value,
        "width": image.width,
        "height": image.height,
        "format": image.format,
        "bytes": image.bytes,
        "sha256": image.sha256,
        "views": image.views,
        "created": _iso(image.created),
        "updated": _iso(image.updated),
        "last_accessed": _iso(image.last_accessed),
    }


def stream_record(summary: StreamSummary) -> dict[str, Any]:
    stream = summary.stream
    return {
        "id": stream.id,
        "title": stream.title,
        "owner": stream.owner,
        "created": _iso(stream.created),
        "images": summary.visible_images,
    }


def to_json(value: object) -> str:
    """ASCII-only JSON: control characters and odd code points can never reach a terminal raw."""
    import json  # here: the parser imports this module, and `--help` prints no JSON

    return json.dumps(value, indent=2, ensure_ascii=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Left-aligned columns separated by two spaces; every cell escaped."""
    cells = [[escape(str(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = [headers, *cells]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def images_table(images: Sequence[StreamImage]) -> str:
    if not images:
        return "no images"
    return table(
        ["ID", "STREAM", "VISIBILITY", "FORMAT", "SIZE", "BYTES", "VIEWS", "CREATED", "TITLE"],
        [
            [
                i.id,
                i.stream_id,
                i.visibility.value,
                i.format,
                f"{i.width}x{i.height}",
                format_bytes(i.bytes),
                i.views,
                i.created.strftime("%Y-%m-%d %H:%M"),
                i.title,
            ]
            for i in images
        ],
    )


def image_details(image: StreamImage) -> str:
    """`show` as aligned key: value lines."""
    record = image_record(image)
    record["bytes"] = f"{image.bytes} ({format_bytes(image.bytes)})"
    width = max(len(k) for k in record)
    return "\n".join(
        f"{key + ':':<{width + 1}} {escape('' if value is None else str(value))}"
        for key, value in record.items()
    )


def streams_table(streams: Sequence[StreamSummary]) -> str:
    if not streams:
        return "no streams"
    return table(
        ["ID", "IMAGES", "CREATED", "TITLE"],
        [
            [
                s.stream.id,
                s.visible_images,
                s.stream.created.strftime("%Y-%m-%d %H:%M"),
                s.stream.title,
            ]
            for s in streams
        ],
    )


def stats_table(stats: Stats) -> str:
    """`stats` as aligned key: value lines."""
    lines = {k: str(v) for k, v in stats.as_dict().items()}
    lines["bytes"] = f"{stats.bytes} ({format_bytes(stats.bytes)})"
    return "\n".join(f"{key + ':':<12} {value}" for key, value in lines.items())


def hours(seconds: float) -> str:
    """A TTL or a simulated span: hours from one hour on, else seconds."""
    return f"{seconds / 3600:.2f} h" if seconds >= 3600 else f"{seconds:.0f} s"
