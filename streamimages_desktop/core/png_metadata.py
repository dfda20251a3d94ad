"""Name PNG metadata bombs: compressed text or colour profiles that inflate past Pillow's limits.

Pillow inflates each zTXt, iTXt and iCCP chunk to at most PngImagePlugin.MAX_TEXT_CHUNK and all
text to MAX_TEXT_MEMORY, then raises a bare ValueError: memory stays bounded, but the import
would call the file "truncated or corrupt". This says what it is instead.
"""

from __future__ import annotations

import struct
import zlib
from typing import Final

from PIL import PngImagePlugin

METADATA_BOMB: Final = "a metadata bomb: "
TEXT_BOMB: Final = f"{METADATA_BOMB}a compressed PNG text chunk expands beyond the safe limit"
PROFILE_BOMB: Final = (
    f"{METADATA_BOMB}the PNG's compressed colour profile expands beyond the safe limit"
)
ALL_TEXT_BOMB: Final = f"{METADATA_BOMB}the PNG's text chunks together expand beyond the safe limit"
_COMPRESSED: Final = (b"zTXt", b"iTXt", b"iCCP")


def bomb_reason(exc: BaseException, data: bytes) -> str | None:
    """The reason to give when Pillow's error `exc` on the PNG `data` was a metadata bomb."""
    if not isinstance(exc, ValueError):
        return None
    text = str(exc)
    if text.startswith("Too much memory used in text chunks"):
        return ALL_TEXT_BOMB
    if not text.startswith("Decompressed data too large"):
        return None
    return PROFILE_BOMB if _inflating_past_limit(data) == b"iCCP" else TEXT_BOMB


def _inflating_past_limit(data: bytes) -> bytes | None:
    """The type of the first zTXt, iTXt or iCCP chunk inflating past Pillow's limit, or None."""
    i = 8
    while i + 8 <= len(data):
        (length,) = struct.unpack_from(">I", data, i)
        kind, start = data[i + 4 : i + 8], i + 8
        if kind == b"IEND":
            break
        i += 12 + length
        if kind not in _COMPRESSED:
            continue
        body = data[start : start + length]
        name_end = body.find(b"\0")
        if kind in (b"zTXt", b"iCCP"):  # name, NUL, method, data
            compressed = body[name_end + 2 :]
        elif body[name_end + 1 : name_end + 2] == b"\x01":  # iTXt: flag, method, lang, key
            compressed = body[name_end + 3 :].split(b"\0", 2)[-1]
        else:
            continue
        inflate = zlib.decompressobj()
        try:
            inflate.decompress(compressed, PngImagePlugin.MAX_TEXT_CHUNK)  # bounded, as Pillow
        except zlib.error:
            continue
        if inflate.unconsumed_tail:
            return kind
    return None
