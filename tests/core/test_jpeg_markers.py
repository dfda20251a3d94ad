"""jpeg_markers: the header walk counts what Pillow would read and refuses hostile excess early."""

from __future__ import annotations

import io
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from streamimages_desktop.core import imaging, jpeg_markers
from streamimages_desktop.core.errors import ImageRejected
from streamimages_desktop.core.jpeg_markers import (
    MAX_MARKERS,
    MAX_METADATA_BYTES,
    MAX_METADATA_SEGMENTS,
    MAX_STRAY_BYTES,
    check,
    walk,
)
from tests.images import encode, image_bytes, picture

LIMIT = 89_478_485
SEGMENT_LIMIT = f"too much metadata in the JPEG: more than {MAX_METADATA_SEGMENTS} APP/COM segments"


def segment(marker: int, payload: bytes) -> bytes:
    """One length-prefixed JPEG segment (the length counts its own two bytes)."""
    assert len(payload) <= 65533
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def exif_segment(size: int = 65533) -> bytes:
    return segment(0xE1, b"Exif\x00\x00" + b"\x00" * (size - 6))


def after_soi(jpeg: bytes, inserted: bytes) -> bytes:
    """`inserted` spliced right after the start-of-image marker, the rest untouched."""
    assert jpeg.startswith(b"\xff\xd8")
    return jpeg[:2] + inserted + jpeg[2:]


def crafted(segments: int, size: int = 65533) -> bytes:
    """A real 64x48 JPEG with `segments` EXIF APP1 segments of `size` bytes after SOI."""
    return after_soi(image_bytes("JPEG"), exif_segment(size) * segments)


def pillow_reads(data: bytes) -> tuple[int, tuple[int, int]]:
    """How many APP/COM segments Pillow's own parse collects, and the size it reads."""
    with Image.open(io.BytesIO(data), formats=["JPEG"]) as im:
        return len(im.applist), im.size  # type: ignore[attr-defined]


# --- ordinary files pass ----------------------------------------------------------------------


def test_a_plain_jpeg_is_walked_to_its_frame() -> None:
    found = check(image_bytes("JPEG", size=(300, 200)))
    assert found.frame_size == (300, 200)
    assert found.metadata_segments == 1  # Pillow's JFIF APP0
    assert found.stray_bytes == 0
    assert found.markers < 12


def big_legal_photo() -> bytes:
    """A photo with a 60 KB EXIF block and a 400 KB ICC profile (split over seven APP2s)."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation
    exif[0x010F] = "Camera maker"
    exif[0x9286] = b"ASCII\x00\x00\x00" + b"a long user comment " * 3000  # UserComment
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    icc += b"\x00" * (400_000 - len(icc))
    return encode(picture((640, 480)), "JPEG", exif=exif.tobytes(), icc_profile=icc)


def test_a_photo_with_a_big_legal_exif_and_icc_profile_is_imported() -> None:
    data = big_legal_photo()
    found = check(data)
    assert found.metadata_bytes > 450_000
    assert found.metadata_segments == pillow_reads(data)[0] == 9  # JFIF, EXIF, seven ICC parts
    analysis = imaging.analyze(data, LIMIT)
    assert (analysis.width, analysis.height) == (480, 640)  # the orientation was read


def test_up_to_the_segment_limit_is_accepted() -> None:
    data = crafted(MAX_METADATA_SEGMENTS - 1, size=100)  # plus the JFIF segment
    assert check(data).metadata_segments == MAX_METADATA_SEGMENTS
    assert imaging.analyze(data, LIMIT).width == 64


# --- hostile files are refused before Pillow sees them ---------------------------------------


@pytest.fixture
def no_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open an image with Pillow fails the test."""

    def refuse(*args: object, **kwargs: object) -> Image.Image:
        raise AssertionError("a hostile JPEG was handed to Pillow")

    monkeypatch.setattr(Image, "open", refuse)


@pytest.mark.usefixtures("no_pillow")
def test_300_exif_segments_are_refused_before_pillow_in_import_and_render() -> None:
    for data in (crafted(300), crafted(300, size=100)):  # the 19 MB file of the report; small
        with pytest.raises(ImageRejected, match="too much metadata in the JPEG"):
            imaging.analyze(data, LIMIT)
        with pytest.raises(ImageRejected, match="too much metadata in the JPEG"):
            imaging.render(data, imaging.THUMB_SIZE)  # the reduced-scale decode path
        with pytest.raises(ImageRejected, match="too much metadata in the JPEG"):
            imaging.render(data, imaging.DISPLAY_SIZE, max_pixels=LIMIT)


def test_the_19_mb_file_is_refused_for_its_metadata_bytes_and_small_segments_for_their_count() -> (
    None
):
    assert len(crafted(300)) > 19_000_000
    with pytest.raises(ImageRejected, match="more than 4 MB in APP/COM segments"):
        check(crafted(300))
    with pytest.raises(ImageRejected, match=SEGMENT_LIMIT):
        check(crafted(300, size=100))


@pytest.mark.parametrize("segments", [300, 3000])
def test_the_walk_stops_at_the_limit_whatever_the_file_size(segments: int) -> None:
    """Bounded work: the walk visits as many markers for 1.2 MB of segments as for 12 MB."""
    found = walk(crafted(segments, size=4096))
    assert found.markers == found.metadata_segments == MAX_METADATA_SEGMENTS + 1  # one too many


def test_too_many_metadata_bytes_in_few_segments_are_refused() -> None:
    count = MAX_METADATA_BYTES // 65533 + 1
    assert count < MAX_METADATA_SEGMENTS
    with pytest.raises(ImageRejected) as refused:
        check(crafted(count))
    assert refused.value.reason == (
        "too much metadata in the JPEG: more than 4 MB in APP/COM segments"
    )


def test_comments_count_as_metadata() -> None:
    data = after_soi(image_bytes("JPEG"), segment(0xFE, b"a comment") * 200)
    with pytest.raises(ImageRejected, match=SEGMENT_LIMIT):
        check(data)


def test_thousands_of_tiny_segments_are_refused() -> None:
    """Pillow reads each empty table segment with a Python call: a file of them is refused."""
    data = after_soi(image_bytes("JPEG"), b"\xff\xdb\x00\x02" * 5000)
    with pytest.raises(ImageRejected) as refused:
        check(data)
    assert refused.value.reason == (
        f"a damaged or hostile JPEG: more than {MAX_MARKERS} markers before its image data"
    )


@pytest.mark.parametrize("stray", [b"\xff", b"\x00", b"\xff\x00"], ids=["fill", "junk", "ff00"])
def test_megabytes_of_stray_bytes_between_markers_are_refused(stray: bytes) -> None:
    data = after_soi(image_bytes("JPEG"), stray * (MAX_STRAY_BYTES // len(stray) + 1))
    with pytest.raises(ImageRejected, match="KB of stray bytes between its markers"):
        check(data)


def test_a_few_stray_bytes_are_accepted_as_pillow_accepts_them() -> None:
    data = after_soi(image_bytes("JPEG"), exif_segment(100) + b"junk" + b"\xff\xff\xff")
    assert check(data).stray_bytes == 4 + 3
    assert imaging.analyze(data, LIMIT).width == 64


# --- the walk takes Pillow's path through the header ------------------------------------------

SMALL_JPEG = image_bytes("JPEG", size=(80, 60))
TRICKS = {
    "junk after a segment": exif_segment(100) + b"junk" + exif_segment(100),
    "fill then junk stops the parse": exif_segment(100) + b"\xff\xffjunk" + exif_segment(100),
    "fill bytes": b"\xff\xff\xff" + exif_segment(100),
    "escaped ff": b"\xff\x00" + exif_segment(100),
    "an end of image inside the header": b"\xff\xd9" + exif_segment(100) * 3,
    "a second start of image": b"\xff\xd8" + exif_segment(100),
    "restart markers": b"\xff\xd0\xff\xd7" + exif_segment(100),
    # JPGn has no length for Pillow: what follows it must not be skipped as its segment.
    "a length-less JPGn": b"\xff\xf0\x00\x40" + exif_segment(100) * 2,
    "a length below two": b"\xff\xe2\x00\x00" + exif_segment(100),
    "comments": segment(0xFE, b"one") + segment(0xFE, b"two"),
    "other APPn": segment(0xE5, b"x" * 10) + segment(0xEF, b"y" * 10),
}


@pytest.mark.parametrize("inserted", TRICKS.values(), ids=TRICKS.keys())
def test_the_walk_counts_the_segments_pillow_reads(inserted: bytes) -> None:
    data = after_soi(image_bytes("JPEG", size=(80, 60)), inserted)
    found = walk(data)
    try:
        read = pillow_reads(data)
    except Image.UnidentifiedImageError:  # Pillow refuses; the walk stopped where it did
        assert found.metadata_segments <= 2
        return
    assert (found.metadata_segments, found.frame_size) == read


SMALL_FRAME = b"\x08\x00\x10\x00\x20\x03" + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"  # 32x16


PIECES = st.one_of(
    st.builds(exif_segment, st.integers(6, 300)),
    st.builds(segment, st.sampled_from([0xE0, 0xE2, 0xED, 0xFE, 0xDD]), st.binary(max_size=40)),
    st.sampled_from([b"\xff", b"\xff\x00", b"\xff\xd9", b"\xff\xd0", b"\xff\xf3", b"\xff\xc8"]),
    st.sampled_from([b"\xff\xe1\x00", b"\xff\xe1\x00\x01", b"\xff\x01", b"\xffq"]),
    st.binary(min_size=1, max_size=6),
)


@given(st.lists(PIECES, max_size=12))
@settings(max_examples=300, deadline=None)
def test_any_mix_of_markers_is_counted_as_pillow_counts_it(pieces: list[bytes]) -> None:
    data = after_soi(SMALL_JPEG, b"".join(pieces))
    found = walk(data)
    try:
        read = pillow_reads(data)
    except (Image.UnidentifiedImageError, OSError, SyntaxError):
        return  # Pillow refuses the file: no count to agree with
    assert (found.metadata_segments, found.frame_size) == read


def test_the_last_frame_header_gives_the_size_as_in_pillow() -> None:
    data = after_soi(image_bytes("JPEG", size=(80, 60)), segment(0xC0, SMALL_FRAME))
    assert walk(data).frame_size == pillow_reads(data)[1] == (80, 60)


def test_truncated_and_empty_headers_never_raise() -> None:
    whole = crafted(3)
    for cut in range(2, 40):
        jpeg_markers.check(whole[:cut])
    assert walk(b"\xff\xd8").frame_size is None
