"""A linear walk over a JPEG's markers, so hostile headers are refused before Pillow parses them.

Pillow joins EXIF segments with `bytes +=` (quadratic: 300 segments of 64 KB cost seconds and
hundreds of MB) and reads fill bytes and tiny segments one Python call at a time. The walk here
follows the same path through the header as Pillow's JPEG plugin does, so it counts what Pillow
would read, skips runs in C (`bytes.find`) and stops as soon as a limit is passed: its cost is
linear in the file size and bounded by the limits, whatever the file holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from streamimages_desktop.core.errors import ImageRejected

MB: Final = 1024 * 1024
# A camera photo has 2-6 APP segments; an ICC profile or extended XMP split into 64 KB pieces
# rarely needs more than 20. At most 128 segments of 4 MB in all keep Pillow's joining of EXIF
# pieces (quadratic) to a few hundred MB copied in memory, tens of milliseconds.
MAX_METADATA_SEGMENTS: Final = 128
MAX_METADATA_BYTES: Final = 4 * MB
# All markers before the image data (quantisation and Huffman tables, frame, APPn, COM...): a
# real file has a few dozen.
MAX_MARKERS: Final = 1024
# Fill bytes (0xFF runs) and junk between markers, which Pillow reads one byte at a time.
MAX_STRAY_BYTES: Final = 64 * 1024

_SOS: Final = 0xDA
_COM: Final = 0xFE
_APP: Final = range(0xE0, 0xF0)
# Markers Pillow's plugin reads without a length: RSTn, SOI, EOI, JPG and JPGn.
_NO_LENGTH: Final = frozenset({*range(0xD0, 0xDA), 0xC8, *range(0xF0, 0xFE)})
# Markers whose segment gives the frame size to Pillow (every SOFn and DHP; the last one wins).
_FRAME: Final = frozenset({*range(0xC0, 0xD0), 0xDE}) - {0xC4, 0xC8, 0xCC}
# Markers Pillow skips over with a length (and those above); anything else stops its parse.
_KNOWN: Final = frozenset({*range(0xC0, 0xE0), *_APP, *range(0xF0, 0xFF)})
_NOT_FF: Final = re.compile(rb"[^\xff]")


@dataclass(frozen=True)
class JpegMarkers:
    """What the header before the first scan holds, as far as the walk went."""

    markers: int  # every marker met, of any kind
    metadata_segments: int  # APPn and COM
    metadata_bytes: int  # their payloads
    stray_bytes: int  # fill and junk between markers
    frame_size: tuple[int, int] | None  # width, height of the last frame header, if any


def walk(data: bytes) -> JpegMarkers:
    """Walk from SOI to the first start-of-scan (or the end), stopping early past any limit."""
    markers = segments = meta = stray = 0
    frame: tuple[int, int] | None = None
    end = len(data)
    i = 2  # after SOI, which sniff() has checked
    while i < end and not _past_a_limit(markers, segments, meta, stray):
        ff = data.find(b"\xff", i)
        if ff < 0:
            stray += end - i
            break
        stray += ff - i
        found = _NOT_FF.search(data, ff)  # the marker code after any fill bytes
        if found is None:
            stray += end - ff
            break
        stray += found.start() - ff - 1
        code, i = data[found.start()], found.start() + 1
        if code == 0x00:  # an escaped 0xFF: junk to Pillow too
            stray += 2
            continue
        markers += 1
        if code not in _KNOWN:
            break  # Pillow's parse stops here with an error
        if code in _NO_LENGTH:
            continue
        if i + 2 > end:
            break
        length = max((data[i] << 8 | data[i + 1]) - 2, 0)
        payload = min(length, end - i - 2)
        if code in _APP or code == _COM:
            segments += 1
            meta += payload
        elif code in _FRAME and payload >= 5:
            height = data[i + 3] << 8 | data[i + 4]
            width = data[i + 5] << 8 | data[i + 6]
            frame = (width, height) if width and height else None
        if code == _SOS:
            break
        i += 2 + length
    return JpegMarkers(markers, segments, meta, stray, frame)


def _past_a_limit(markers: int, segments: int, meta: int, stray: int) -> bool:
    return (
        markers > MAX_MARKERS
        or segments > MAX_METADATA_SEGMENTS
        or meta > MAX_METADATA_BYTES
        or stray > MAX_STRAY_BYTES
    )


def check(data: bytes) -> JpegMarkers:
    """The walk's result, or ImageRejected naming the excess (never handed to Pillow then)."""
    found = walk(data)
    if found.metadata_segments > MAX_METADATA_SEGMENTS:
        raise ImageRejected(
            f"too much metadata in the JPEG: more than {MAX_METADATA_SEGMENTS} APP/COM segments"
        )
    if found.metadata_bytes > MAX_METADATA_BYTES:
        raise ImageRejected(
            f"too much metadata in the JPEG: more than {MAX_METADATA_BYTES // MB} MB in APP/COM "
            "segments"
        )
    if found.markers > MAX_MARKERS:
        raise ImageRejected(
            f"a damaged or hostile JPEG: more than {MAX_MARKERS} markers before its image data"
        )
    if found.stray_bytes > MAX_STRAY_BYTES:
        raise ImageRejected(
            f"a damaged or hostile JPEG: more than {MAX_STRAY_BYTES // 1024} KB of stray bytes "
            "between its markers"
        )
    return found
