"""Canary files: images carrying a unique marker in every place metadata hides.

Each canary is built with Pillow plus byte splicing and comes with its upright pixels (what a
clean derivative must show). Every marker starts with CANARY, so a test looks for that one
prefix (in ASCII and UTF-16) anywhere in an output; the allow-lists say which JPEG segments,
PNG/WebP chunks and GIF blocks an output may hold at all.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageDraw

PREFIX = b"CANARY"
TRAILER = b"CANARY-AFTER-END" + b"\xff\xd8\xff\xe0CANARY-SECOND-IMAGE" * 4


@dataclass(frozen=True)
class Canary:
    name: str
    format: str
    data: bytes
    frames: tuple[Image.Image, ...]  # the upright pixels, RGBA, one per frame
    durations: tuple[int, ...] = ()


def picture(size: tuple[int, int] = (48, 32), seed: int = 0) -> Image.Image:
    """An upright picture whose orientation is obvious (a red top-left corner)."""
    img = Image.new("RGB", size, (30 + seed * 60 % 200, 90, 160))
    draw = ImageDraw.Draw(img)
    w, h = size
    draw.rectangle([0, 0, w // 3, h // 3], fill=(255, 0, 0))
    draw.rectangle([w // 2, h // 2, w - 1, h - 1], fill=(0, 200, 40 + seed * 50 % 200))
    return img


def found_markers(data: bytes) -> bool:
    return (
        PREFIX in data
        or PREFIX.decode().encode("utf-16-be") in data
        or (PREFIX.decode().encode("utf-16-le") in data)
    )


# -- metadata payloads ------------------------------------------------------------------------


def _ifd(entries: list[tuple[int, int, int, bytes]], offset: int, next_ifd: int) -> bytes:
    """One little-endian TIFF IFD at `offset`: entries, the next-IFD pointer, then their data."""
    head = struct.pack("<H", len(entries))
    data_at = offset + 2 + 12 * len(entries) + 4
    body, extra = b"", b""
    for tag, kind, count, value in sorted(entries):
        if len(value) <= 4:
            body += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")
        else:
            body += struct.pack("<HHII", tag, kind, count, data_at + len(extra))
            extra += value + (b"\0" if len(value) % 2 else b"")
    return head + body + struct.pack("<I", next_ifd) + extra


def _ascii(text: bytes) -> tuple[int, int, bytes]:
    return 2, len(text) + 1, text + b"\0"


def _undefined(data: bytes) -> tuple[int, int, bytes]:
    return 7, len(data), data


def _long(value: int) -> tuple[int, int, bytes]:
    return 4, 1, struct.pack("<I", value)


def exif_tiff(orientation: int) -> bytes:
    """TIFF bytes: IFD0 (orientation, make, serial), Exif IFD (user comment, MakerNote, body
    serial), GPS IFD, and IFD1 with an embedded JPEG thumbnail of other pixels."""
    thumb_img = Image.new("RGB", (16, 16), (0, 255, 255))
    thumb = _jpeg(thumb_img, comment=b"CANARY-THUMBNAIL-COMMENT")

    def ifd0(exif_at: int, gps_at: int, ifd1_at: int, at: int = 8) -> bytes:
        return _ifd(
            [
                (0x0112, 3, 1, struct.pack("<H", orientation)),
                (0x010F, *_ascii(b"CANARY-EXIF-MAKE")),
                (0xC62F, *_ascii(b"CANARY-EXIF-CAMERA-SERIAL")),
                (0x8769, *_long(exif_at)),
                (0x8825, *_long(gps_at)),
            ],
            at,
            ifd1_at,
        )

    def exif_ifd(at: int) -> bytes:
        return _ifd(
            [
                (0x9286, *_undefined(b"ASCII\0\0\0CANARY-EXIF-USER-COMMENT")),
                (0x927C, *_undefined(b"CANARY-MAKERNOTE" * 4)),
                (0xA431, *_ascii(b"CANARY-EXIF-BODY-SERIAL")),
            ],
            at,
            0,
        )

    def gps_ifd(at: int) -> bytes:
        return _ifd(
            [
                (0x0000, 1, 4, b"\x02\x03\x00\x00"),
                (0x0001, *_ascii(b"N")),
                (0x001B, *_undefined(b"ASCII\0\0\0CANARY-GPS-PROCESSING")),
            ],
            at,
            0,
        )

    def ifd1(at: int, thumb_at: int) -> bytes:
        return _ifd(
            [
                (0x0103, 3, 1, struct.pack("<H", 6)),
                (0x0201, *_long(thumb_at)),
                (0x0202, *_long(len(thumb))),
            ],
            at,
            0,
        )

    exif_at = 8 + len(ifd0(0, 0, 0))
    gps_at = exif_at + len(exif_ifd(0))
    ifd1_at = gps_at + len(gps_ifd(0))
    thumb_at = ifd1_at + len(ifd1(0, 0))
    return (
        b"II*\0"
        + struct.pack("<I", 8)
        + ifd0(exif_at, gps_at, ifd1_at)
        + exif_ifd(exif_at)
        + gps_ifd(gps_at)
        + ifd1(ifd1_at, thumb_at)
        + thumb
    )


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator='
    b'"CANARY-XMP-CREATOR"/></rdf:RDF></x:xmpmeta>'
)


def icc_with_marker() -> bytes:
    """An sRGB profile whose description says CANARY (same length, so it still parses)."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    old = "sRGB built-in".encode("utf-16-be")
    assert old in icc
    return icc.replace(old, "CANARY-ICC-DS".encode("utf-16-be"))


def _iptc() -> bytes:
    caption = b"CANARY-IPTC-CAPTION"
    record = b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(record)) + record
    return b"Photoshop 3.0\0" + resource + (b"\0" if len(record) % 2 else b"")


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _jpeg(img: Image.Image, comment: bytes = b"", **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95, comment=comment, **params)
    return buf.getvalue()


# -- the canaries ------------------------------------------------------------------------------


def _rgba(img: Image.Image) -> tuple[Image.Image, ...]:
    return (img.convert("RGBA"),)


def jpeg_canary() -> Canary:
    upright = picture()
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # orientation 6 turns it back
    base = _jpeg(stored, comment=b"CANARY-JPEG-COMMENT", icc_profile=icc_with_marker())
    extra = (
        _segment(0xE1, b"Exif\0\0" + exif_tiff(6))
        + _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + XMP)
        + _segment(0xED, _iptc())
        + _segment(0xEB, b"CANARY-APP11-JUMBF")
    )
    data = base[:2] + extra + base[2:] + TRAILER
    return Canary("jpeg", "JPEG", data, _rgba(upright))


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_canary() -> Canary:
    from PIL import PngImagePlugin

    upright = picture(seed=1).convert("RGBA")
    upright.putpixel((0, 0), (1, 2, 3, 0))
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "CANARY-PNG-TEXT")
    info.add_text("Author", "CANARY-PNG-ZTXT" * 3, zip=True)
    info.add_itxt("Description", "CANARY-PNG-ITXT", lang="en", tkey="CANARY-ITXT-KEY")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    buf = io.BytesIO()
    stored.save(
        buf, "PNG", pnginfo=info, exif=b"Exif\0\0" + exif_tiff(6), icc_profile=icc_with_marker()
    )
    data = buf.getvalue()
    time_chunk = _png_chunk(b"tIME", struct.pack(">HBBBBB", 2026, 12, 1, 10, 0, 0))
    private = _png_chunk(b"caNa", b"CANARY-PRIVATE-CHUNK")
    ihdr_end = 8 + 25
    data = data[:ihdr_end] + time_chunk + private + data[ihdr_end:] + TRAILER
    return Canary("png", "PNG", data, (upright,))


def webp_canary(animated: bool = False) -> Canary:
    frames = [picture(seed=2).convert("RGBA"), picture(seed=3).convert("RGBA")]
    frames[0].putpixel((1, 1), (9, 9, 9, 128))
    if not animated:
        frames = frames[:1]
    stored = [f.transpose(Image.Transpose.ROTATE_90) for f in frames]
    buf = io.BytesIO()
    params: dict[str, object] = {
        "lossless": True,
        "exact": True,
        "exif": b"Exif\0\0" + exif_tiff(6),
        "xmp": XMP,
        "icc_profile": icc_with_marker(),
    }
    durations = (120, 240) if animated else ()
    if animated:
        params.update(save_all=True, append_images=stored[1:], duration=list(durations), loop=0)
    stored[0].save(buf, "WEBP", **params)
    name = "webp-animated" if animated else "webp"
    return Canary(name, "WEBP", buf.getvalue() + TRAILER, tuple(frames), durations)


def gif_canary() -> Canary:
    frames = [picture(seed=4).convert("RGB"), picture(seed=5).convert("RGB")]
    buf = io.BytesIO()
    frames[0].save(
        buf,
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=[100, 300],
        loop=0,
        comment=b"CANARY-GIF-COMMENT",
    )
    data = buf.getvalue()
    xmp_block = b"\x21\xff\x0bXMP DataXMP" + bytes([len(b"CANARY-GIF-XMP")]) + b"CANARY-GIF-XMP"
    data = data[:-1] + xmp_block + b"\x00" + b"\x3b" + TRAILER
    return Canary("gif", "GIF", data, tuple(f.convert("RGBA") for f in frames), (100, 300))


def all_canaries() -> list[Canary]:
    return [jpeg_canary(), png_canary(), webp_canary(), webp_canary(animated=True), gif_canary()]


# -- allow-lists --------------------------------------------------------------------------------

JPEG_ALLOWED = {0xC0, 0xC1, 0xC2, 0xC4, 0xDB, 0xDD, 0xDA, 0xE0, 0xE2}
PNG_ALLOWED = {b"IHDR", b"PLTE", b"tRNS", b"iCCP", b"IDAT", b"IEND", b"acTL", b"fcTL", b"fdAT"}
WEBP_ALLOWED = {b"VP8 ", b"VP8L", b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH"}


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of each segment up to EOI; asserts one SOI and nothing after EOI."""
    assert data[:2] == b"\xff\xd8", "no SOI first"
    assert data.count(b"\xff\xd8") == 1, "more than one SOI"
    at, out = 2, []
    while True:
        assert data[at] == 0xFF, f"no marker at {at}"
        marker = data[at + 1]
        if marker == 0xD9:
            assert at + 2 == len(data), "bytes after EOI"
            return out
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        payload = data[at + 4 : at + 2 + length]
        out.append((marker, payload))
        at += 2 + length
        if marker == 0xDA:  # entropy-coded data: skip to the next real marker
            while not (data[at] == 0xFF and data[at + 1] not in (0x00, *range(0xD0, 0xD8))):
                at += 1


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, kinds = 8, []
    while True:
        length = struct.unpack(">I", data[at : at + 4])[0]
        kind = data[at + 4 : at + 8]
        kinds.append(kind)
        at += 12 + length
        if kind == b"IEND":
            assert at == len(data), "bytes after IEND"
            return kinds


def webp_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    size = struct.unpack("<I", data[4:8])[0]
    assert size + 8 == len(data), "bytes after the RIFF chunk"
    at, kinds = 12, []
    while at < len(data):
        kind = data[at : at + 4]
        length = struct.unpack("<I", data[at + 4 : at + 8])[0]
        kinds.append(kind)
        if kind == b"ANMF":  # frames nest their own chunks after a 16-byte header
            inner = 8 + 16
            while inner < 8 + length:
                sub = data[at + inner : at + inner + 4]
                sub_len = struct.unpack("<I", data[at + inner + 4 : at + inner + 8])[0]
                kinds.append(sub)
                inner += 8 + sub_len + (sub_len & 1)
        at += 8 + length + (length & 1)
    return kinds


def gif_blocks(data: bytes) -> list[str]:
    """Names of a GIF's blocks; asserts nothing follows the trailer."""
    assert data[:6] in (b"GIF87a", b"GIF89a")
    flags = data[10]
    at = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    blocks = []
    while True:
        kind = data[at]
        if kind == 0x3B:
            assert at + 1 == len(data), "bytes after the GIF trailer"
            return blocks
        if kind == 0x21:
            label = data[at + 1]
            at += 2
            if label == 0xFF:
                blocks.append("app:" + data[at + 1 : at + 12].decode("latin-1"))
            else:
                blocks.append(f"ext:{label:02x}")
        elif kind == 0x2C:
            blocks.append("image")
            local = data[at + 9]
            at += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0)
            at += 1  # LZW minimum code size
        else:
            raise AssertionError(f"unknown GIF block {kind:#x} at {at}")
        while data[at]:  # sub-blocks
            at += 1 + data[at]
        at += 1


GIF_ALLOWED = {"image", "ext:f9", "app:NETSCAPE2.0"}


def assert_clean(data: bytes, fmt: str) -> None:
    """No marker anywhere, only allowed segments/chunks/blocks, nothing after the end."""
    assert not found_markers(data), "a canary marker survived"
    if fmt == "JPEG":
        markers = {marker for marker, _ in jpeg_segments(data)}
        assert markers <= JPEG_ALLOWED, [hex(m) for m in markers]
        for marker, payload in jpeg_segments(data):
            if marker == 0xE0:
                assert payload.startswith(b"JFIF\0")
            if marker == 0xE2:
                assert payload.startswith(b"ICC_PROFILE\0")
    elif fmt == "PNG":
        assert set(png_chunks(data)) <= PNG_ALLOWED
    elif fmt == "WEBP":
        assert set(webp_chunks(data)) <= WEBP_ALLOWED
    elif fmt == "GIF":
        assert set(gif_blocks(data)) <= GIF_ALLOWED
    else:
        raise AssertionError(fmt)
