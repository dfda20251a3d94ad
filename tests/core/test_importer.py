"""The import write path on real files and a real library: what is stored, what is refused."""

from __future__ import annotations

import errno
import io
import os
import sqlite3
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, JpegImagePlugin

from streamimages_desktop.core import imaging, import_window
from streamimages_desktop.core.errors import AccessDenied, LibraryError
from streamimages_desktop.core.importer import (
    ImportOptions,
    ImportResult,
    ImportStatus,
    expand_paths,
)
from streamimages_desktop.core.library_backend import cache_dir_of
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, InvalidStreamId, Role, Sort, Viewer, Visibility
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.store import Store
from tests.backends import library_snapshot
from tests.images import (
    EXT,
    encode,
    image_bytes,
    solid_frames,
    truncated,
    with_orientation,
    write_image,
)

pytestmark = pytest.mark.both_backends

# -- helpers ----------------------------------------------------------------------------------


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (a decompression bomb's calling card)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def tiff_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(buf, "TIFF")
    return buf.getvalue()


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto showpage\n"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'


snapshot = library_snapshot


@pytest.fixture
def manager(settings: Settings) -> Iterator[StreamImageManager]:
    with StreamImageManager(settings) as m:
        yield m


def one(manager: StreamImageManager, path: Path, stream: str = "s1") -> ImportResult:
    results = manager.import_paths(OWNER, stream, [path])
    assert len(results) == 1
    return results[0]


# -- what an accepted import stores -----------------------------------------------------------


@pytest.mark.local_only("the originals folder's layout")
def test_import_stores_blob_row_and_thumbnail(
    manager: StreamImageManager, settings: Settings, tmp_path: Path
) -> None:
    path = write_image(tmp_path / "in" / "Sunset at the venue.png", "PNG", (640, 480))
    result = one(manager, path)
    assert result.status is ImportStatus.IMPORTED and result.source == str(path)
    assert result.image_id is not None and result.reason is None

    image = manager.image(OWNER, result.image_id)
    assert (image.title, image.original_name) == ("Sunset at the venue", path.name)
    assert (image.format, image.width, image.height) == ("PNG", 640, 480)
    assert image.bytes == path.stat().st_size and image.visibility is Visibility.PUBLIC
    blob = settings.stream_images_dir / "originals" / image.sha256[:2] / image.sha256[2:4]
    assert (blob / f"{image.sha256}.png").read_bytes() == path.read_bytes()
    assert [s.stream.id for s in manager.streams(OWNER)] == ["s1"]  # created on first import

    originals, renditions, rows = snapshot(settings)
    assert len(originals) == 1 and len(renditions) == 1 and len(rows) == 1
    with Image.open(settings.image_cache_dir / renditions[0]) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == imaging.THUMB_SIZE
    assert manager.disk_cache_stats().items == 1


def test_options_apply_to_every_file(manager: StreamImageManager, tmp_path: Path) -> None:
    paths = [write_image(tmp_path / f"{i}.png", seed=i) for i in range(2)]
    options = ImportOptions(Visibility.PRIVATE, title="Backstage", description="crew only")
    results = manager.import_paths(OWNER, "s1", paths, options)
    for r in results:
        assert r.image_id is not None
        image = manager.image(OWNER, r.image_id)
        assert (image.title, image.description, image.visibility) == (
            "Backstage",
            "crew only",
            Visibility.PRIVATE,
        )


@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("UPPER.JPG", image_bytes("JPEG"), "JPEG"),
        ("really-a-png.jpg", image_bytes("PNG"), "PNG"),
        ("anim.gif", image_bytes("GIF"), "GIF"),
        ("pic.webp", image_bytes("WEBP"), "WEBP"),
        ("pic.BMP", image_bytes("BMP"), "BMP"),
        ("pic.jpeg", image_bytes("JPEG"), "JPEG"),
    ],
)
def test_format_comes_from_content_and_extension_case_is_ignored(
    manager: StreamImageManager,
    settings: Settings,
    tmp_path: Path,
    name: str,
    data: bytes,
    fmt: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = one(manager, path)
    assert result.status is ImportStatus.IMPORTED, result.reason
    assert result.image_id is not None
    image = manager.image(OWNER, result.image_id)
    assert image.format == fmt and image.original_name == name
    originals, _, _ = snapshot(settings)
    assert originals[0].endswith("." + imaging.EXTENSION_FOR_FORMAT[fmt])


# -- refusals: one clear reason, nothing written ----------------------------------------------


REFUSALS: list[tuple[str, bytes, str]] = [
    ("notes.txt", image_bytes("PNG"), "extension .txt is not allowed"),
    ("no-extension", image_bytes("PNG"), "no file extension is not allowed"),
    ("empty.png", b"", "empty file"),
    ("tiff.png", tiff_bytes(), "TIFF images are not supported"),
    ("eps.png", EPS, "EPS images are not supported"),
    ("svg.png", SVG, "SVG images are not supported"),
    ("text.png", b"hello, not an image", "not an image"),
    ("bomb.png", png_declaring(100_000, 100_000), "too many pixels (100000x100000"),
] + [
    (f"truncated{ext}", truncated(image_bytes(fmt, (256, 192)), 0.5), "truncated or corrupt")
    for fmt, ext in EXT.items()
]


@pytest.mark.parametrize(("name", "data", "reason"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refused_file_writes_nothing(
    manager: StreamImageManager,
    settings: Settings,
    tmp_path: Path,
    name: str,
    data: bytes,
    reason: str,
) -> None:
    one(manager, write_image(tmp_path / "first.png"))  # a library that is not empty
    before = snapshot(settings)
    path = tmp_path / name
    path.write_bytes(data)
    result = one(manager, path)
    assert result.status is ImportStatus.REJECTED and result.image_id is None
    assert result.reason is not None and reason in result.reason
    assert "\n" not in result.reason
    assert snapshot(settings) == before


def test_oversize_refused_from_stat_before_reading(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = settings._replace(max_image_upload_size_mb=0.01)
    path = tmp_path / "big.png"
    path.write_bytes(image_bytes("PNG", (256, 256)) + b"\0" * 20_000)
    opened: list[object] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda p, *a, **k: opened.append(p) or real_open(p, *a, **k))
    with StreamImageManager(small) as manager:
        before = snapshot(small)
        opened.clear()
        result = one(manager, path)
    assert result.status is ImportStatus.REJECTED and result.reason is not None
    assert result.reason.startswith("too large") and "MAX_IMAGE_UPLOAD_SIZE_MB" in result.reason
    assert path not in opened and str(path) not in opened
    assert snapshot(small) == before


def test_a_file_is_read_into_a_buffer_of_its_size_not_of_the_limit(
    settings: Settings, tmp_path: Path
) -> None:
    """At the largest MAX_IMAGE_UPLOAD_SIZE_MB a buffer of the limit is 4 GB per file, which
    a system without overcommit refuses; the Python allocations peak near the file's size."""
    import tracemalloc

    from streamimages_desktop.core.import_prepare import Preparer

    path = write_image(tmp_path / "a.png", size=(64, 48))
    preparer = Preparer(settings._replace(max_image_upload_size_mb=4096))
    tracemalloc.start()
    try:
        prepared = preparer.prepare_path(path)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not isinstance(prepared, ImportResult), prepared
    assert peak < 8 * 1024 * 1024


@pytest.mark.parametrize(
    ("actual", "expected", "limit", "read"),
    [
        (100, 100, 1000, 100),  # as stat said
        (60, 100, 1000, 60),  # shrank since stat
        (500, 100, 1000, 500),  # grew since stat: read on
        (5000, 100, 1000, 1000),  # grew past the limit: the limit's bytes, then refused
        (5000, 5000, 1000, 1000),  # over the limit at stat already (refused before reading)
    ],
)
def test_read_at_most_reads_what_is_there_up_to_the_limit(
    actual: int, expected: int, limit: int, read: int
) -> None:
    from streamimages_desktop.core.import_prepare import read_at_most

    assert len(read_at_most(io.BytesIO(b"x" * actual), expected, limit)) == read


def test_small_pixel_limit_refuses_before_decoding(settings: Settings, tmp_path: Path) -> None:
    with StreamImageManager(settings._replace(image_max_pixels=1000)) as manager:
        result = one(manager, write_image(tmp_path / "a.png", size=(40, 30)))
        assert result.status is ImportStatus.REJECTED
        assert result.reason is not None and "too many pixels" in result.reason
        assert one(manager, write_image(tmp_path / "b.png", size=(30, 30))).image_id


def test_a_folder_a_fifo_and_links_are_judged_by_what_they_point_to(
    manager: StreamImageManager, settings: Settings, tmp_path: Path
) -> None:
    good = write_image(tmp_path / "good.png")
    folder = tmp_path / "folder"
    write_image(folder / "inside.png", seed=3)
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    (tmp_path / "link.png").symlink_to(good)
    (tmp_path / "dirlink.png").symlink_to(folder)
    (tmp_path / "broken.png").symlink_to(tmp_path / "gone.png")
    paths = [fifo, tmp_path / "dirlink.png", tmp_path / "broken.png", tmp_path / "link.png"]

    done: list[list[ImportResult]] = []
    worker = threading.Thread(target=lambda: done.append(manager.import_paths(OWNER, "s1", paths)))
    worker.start()
    worker.join(timeout=30)  # a FIFO opened for reading would block forever
    assert done, "import hung on a FIFO"
    fifo_r, dirlink_r, broken_r, link_r = done[0]
    assert fifo_r.reason == "not a regular file (a pipe, socket or device)"
    assert dirlink_r.reason == "a link to a folder (links to folders are not followed)"
    assert broken_r.reason == "no such file"
    assert link_r.status is ImportStatus.IMPORTED and link_r.image_id is not None
    assert manager.image(OWNER, link_r.image_id).original_name == "link.png"
    assert len(snapshot(settings)[2]) == 1


def test_per_stream_limit(settings: Settings, tmp_path: Path) -> None:
    with StreamImageManager(settings._replace(max_stream_images_per_stream=2)) as manager:
        paths = [write_image(tmp_path / f"{i}.png", seed=i) for i in range(3)]
        first, second, third = manager.import_paths(OWNER, "s1", paths)
        assert first.image_id and second.image_id
        assert third.status is ImportStatus.REJECTED
        assert third.reason == "stream s1 already holds 2 images (MAX_STREAM_IMAGES_PER_STREAM = 2)"
        # the same bytes already there are still reported as the duplicate they are
        assert one(manager, paths[0]).status is ImportStatus.DUPLICATE
        assert one(manager, paths[2], "s2").status is ImportStatus.IMPORTED  # other streams fine
    originals, renditions, rows = snapshot(settings)
    assert (len(originals), len(renditions), len(rows)) == (3, 3, 3)


@pytest.mark.local_only("the local file system refusing writes")
@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.ENOSPC, "disk full"), (errno.EROFS, "library folder is not writable")],
)
def test_disk_full_or_read_only_leaves_nothing_half_written(
    manager: StreamImageManager,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    reason: str,
) -> None:
    before = snapshot(settings)

    def fail(*_: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "fsync", fail)  # every atomic write fails after writing its temp file
    result = one(manager, write_image(tmp_path / "a.png"))
    monkeypatch.undo()
    assert (result.status, result.reason) == (ImportStatus.REJECTED, reason)
    assert snapshot(settings) == before
    leftovers = [p for p in settings.stream_images_dir.rglob("*.part")]
    assert leftovers == []
    assert one(manager, tmp_path / "a.png").status is ImportStatus.IMPORTED  # and it recovers


def test_failed_row_insert_removes_its_blob_and_thumbnail(
    manager: StreamImageManager, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = write_image(tmp_path / "shared.png", seed=1)
    assert one(manager, shared, "other").status is ImportStatus.IMPORTED
    before = snapshot(settings)

    def full(*_: object, **__: object) -> None:
        raise LibraryError("the disk is full: could not write the library")

    monkeypatch.setattr(manager._store, "insert_images", full)
    lone = one(manager, write_image(tmp_path / "lone.png", seed=2))
    same = one(manager, shared, "s1")  # its blob belongs to the row in "other": it must stay
    assert lone.reason == same.reason == "the disk is full: could not write the library"
    assert snapshot(settings) == before


@pytest.mark.local_only("the SQLite store's count, as the seam")
def test_a_failed_first_import_leaves_no_empty_stream_behind(
    manager: StreamImageManager, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(settings)
    real = Store._count_all

    def full_inside_the_insert(conn: sqlite3.Connection, stream_id: str) -> int:
        if conn.in_transaction:  # the row's own transaction, after the stream was made
            raise LibraryError("the disk is full: could not write the library")
        return real(conn, stream_id)

    monkeypatch.setattr(Store, "_count_all", staticmethod(full_inside_the_insert))
    result = one(manager, write_image(tmp_path / "a.png"), "fresh")
    monkeypatch.undo()
    assert result.reason == "the disk is full: could not write the library"
    assert snapshot(settings) == before
    assert manager.streams(OWNER) == []  # no row of any kind: not even the stream's
    assert one(manager, tmp_path / "a.png", "fresh").status is ImportStatus.IMPORTED
    assert [(s.stream.id, s.stream.owner) for s in manager.streams(OWNER)] == [("fresh", "local")]


def test_import_as_non_owner_or_into_a_bad_stream_id_is_refused(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    path = write_image(tmp_path / "a.png")
    with pytest.raises(AccessDenied):
        manager.import_paths(Viewer(Role.SUBSCRIBER), "s1", [path])
    with pytest.raises(AccessDenied):
        manager.import_bytes(Viewer(Role.VIEWER), "s1", path.read_bytes(), "a.png")
    with pytest.raises(InvalidStreamId):
        manager.import_paths(OWNER, "../etc", [path])
    assert manager.streams(OWNER) == []


# -- duplicates and shared blobs --------------------------------------------------------------


def test_duplicates_are_stored_once_and_blobs_go_with_the_last_row(
    manager: StreamImageManager, settings: Settings, tmp_path: Path
) -> None:
    path = write_image(tmp_path / "a.png")
    copy = tmp_path / "copy of a.png"
    copy.write_bytes(path.read_bytes())
    first, again, renamed = manager.import_paths(OWNER, "s1", [path, path, copy])
    assert first.status is ImportStatus.IMPORTED
    assert (again.status, again.image_id) == (ImportStatus.DUPLICATE, first.image_id)
    assert (renamed.status, renamed.image_id) == (ImportStatus.DUPLICATE, first.image_id)
    other = one(manager, path, "s2")
    assert other.status is ImportStatus.IMPORTED and other.image_id != first.image_id

    originals, renditions, rows = snapshot(settings)
    assert len(originals) == 1 and len(rows) == 2 and len(renditions) == 2
    assert manager.delete_images(OWNER, [str(first.image_id)]) == [first.image_id]
    assert manager.empty_trash(OWNER) == [first.image_id]
    originals, renditions, rows = snapshot(settings)
    assert len(originals) == 1 and len(rows) == 1 and len(renditions) == 1
    assert manager.delete_images(OWNER, [str(other.image_id), "no-such-id"]) == [other.image_id]
    manager.empty_trash(OWNER)
    assert snapshot(settings) == ([], [], [])


# -- batches ----------------------------------------------------------------------------------


def test_folders_are_walked_sorted_and_one_bad_file_never_stops_the_rest(
    manager: StreamImageManager, settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "shoot"
    write_image(root / "b.png", seed=1)
    write_image(root / "a.jpg", "JPEG", seed=2)
    (root / "c.png").write_bytes(b"garbage")
    write_image(root / "sub" / "z.gif", "GIF", seed=3)
    write_image(root / "sub" / "deeper" / "y.bmp", "BMP", seed=4)
    (tmp_path / "empty").mkdir()
    single = write_image(tmp_path / "single.webp", "WEBP", seed=5)

    calls: list[tuple[int, int, ImportResult]] = []
    results = manager.import_paths(
        OWNER,
        "s1",
        [root, tmp_path / "empty", single],
        progress=lambda done, total, r: calls.append((done, total, r)),
    )
    assert [Path(r.source).relative_to(tmp_path).as_posix() for r in results] == [
        "shoot/a.jpg",
        "shoot/b.png",
        "shoot/c.png",
        "shoot/sub/deeper/y.bmp",
        "shoot/sub/z.gif",
        "empty",
        "single.webp",
    ]
    assert [r.status for r in results] == [ImportStatus.IMPORTED] * 2 + [ImportStatus.REJECTED] + [
        ImportStatus.IMPORTED
    ] * 2 + [ImportStatus.REJECTED, ImportStatus.IMPORTED]
    assert results[5].reason == "folder holds no files"
    assert calls == [(i + 1, 7, r) for i, r in enumerate(results)]
    assert len(snapshot(settings)[2]) == 5


def test_cancel_between_files_leaves_later_files_out(
    manager: StreamImageManager, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_window, "GROUP_FILES", 1)  # cancel is checked between groups
    paths = [write_image(tmp_path / f"{i:02d}.png", seed=i) for i in range(8)]
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int, _: ImportResult) -> None:
        seen.append(done)
        if done == 3:
            cancel.set()

    results = manager.import_paths(OWNER, "s1", paths, progress=progress, cancel=cancel)
    assert seen == [1, 2, 3]
    assert [r.source for r in results] == [str(p) for p in paths[:3]]
    assert all(r.status is ImportStatus.IMPORTED for r in results)
    originals, renditions, rows = snapshot(settings)
    assert (len(originals), len(renditions), len(rows)) == (3, 3, 3)


def test_decoding_runs_on_two_worker_threads_and_inserts_keep_input_order(
    manager: StreamImageManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: set[str] = set()
    barrier = threading.Barrier(2, timeout=10)
    real = imaging.analyze

    def analyze(data: bytes, max_pixels: int, thumb_size: int = imaging.THUMB_SIZE) -> object:
        name = threading.current_thread().name
        if name not in threads:
            threads.add(name)
            barrier.wait()  # both workers are decoding at the same moment
        return real(data, max_pixels, thumb_size)

    monkeypatch.setattr(imaging, "analyze", analyze)
    paths = [write_image(tmp_path / f"{i}.png", seed=i) for i in range(6)]
    results = manager.import_paths(OWNER, "s1", paths)
    assert len(threads) == 2 and threading.current_thread().name not in threads
    assert [r.source for r in results] == [str(p) for p in paths]
    ids = [r.image_id for r in results]
    oldest_first = [i.id for i in manager.images(OWNER, "s1", sort=Sort.OLDEST)]
    assert oldest_first == ids


def test_expand_paths_does_not_follow_symlinked_folders(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.mkdir()
    (loop / "self").symlink_to(loop)  # would recurse forever if followed
    write_image(loop / "a.png")
    assert expand_paths([loop]) == [loop / "a.png", loop / "self"]


# -- names ------------------------------------------------------------------------------------


def test_odd_file_names_are_kept_for_display_only(
    manager: StreamImageManager, settings: Settings, tmp_path: Path
) -> None:
    names = ["new\nline.png", "<img src=x onerror=alert(1)>.png", "tab\there.png"]
    paths = [write_image(tmp_path / n, seed=i) for i, n in enumerate(names)]
    raw = os.fsencode(tmp_path) + b"/caf\xe9.png"  # Latin-1 bytes: not valid UTF-8
    with open(raw, "wb") as f:
        f.write(image_bytes(seed=9))
    paths.append(Path(os.fsdecode(raw)))
    results = manager.import_paths(OWNER, "s1", paths)
    stored = [manager.image(OWNER, str(r.image_id)) for r in results]
    assert [s.original_name for s in stored] == [*names, "caf\ufffd.png"]
    assert [s.title for s in stored] == [
        "new\nline",
        "<img src=x onerror=alert(1)>",
        "tab\there",
        "caf\ufffd",
    ]
    originals, _, _ = snapshot(settings)
    assert all(Path(o).name.split(".")[0] in {s.sha256 for s in stored} for o in originals)


def test_import_bytes_from_the_clipboard(manager: StreamImageManager, settings: Settings) -> None:
    data = image_bytes("PNG", (300, 100))
    result = manager.import_bytes(OWNER, "s1", data, "clipboard-2026-11-24-101500.png")
    assert result.status is ImportStatus.IMPORTED and result.image_id
    image = manager.image(OWNER, result.image_id)
    assert (image.title, image.original_name, image.width) == (
        "clipboard-2026-11-24-101500",
        "clipboard-2026-11-24-101500.png",
        300,
    )
    again = manager.import_bytes(OWNER, "s1", data, "clipboard-later.png")
    assert (again.status, again.image_id) == (ImportStatus.DUPLICATE, result.image_id)
    before = snapshot(settings)
    bad = manager.import_bytes(OWNER, "s1", b"", "clipboard.png")
    svg = manager.import_bytes(OWNER, "s1", SVG, "../../etc/passwd.png")
    assert (bad.reason, svg.reason) == ("empty file", "SVG images are not supported")
    assert svg.source == "passwd.png"
    assert snapshot(settings) == before


def test_walking_a_parent_folder_skips_hidden_files_and_the_apps_own_folders(
    tmp_path: Path,
) -> None:
    photos = tmp_path / "photos"
    write_image(photos / "a.png", "PNG", seed=1)
    (photos / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (photos / ".git").mkdir()
    (photos / ".git" / "x.png").write_bytes(b"x")
    own_library, own_cache = photos / "library", photos / "cache"
    write_image(own_library / "b.png", "PNG", seed=2)
    write_image(own_cache / "c.png", "PNG", seed=3)
    other = photos / "more"
    write_image(other / "d.png", "PNG", seed=4)

    found = expand_paths([photos], skip=[own_library, own_cache])

    assert found == [photos / "a.png", other / "d.png"]


def test_importing_the_folder_that_holds_the_library_does_not_import_the_library(
    manager: StreamImageManager, settings: Settings, tmp_path: Path
) -> None:
    # The `settings` fixture keeps library and cache in tmp_path, beside the user's pictures.
    first = one(manager, write_image(tmp_path / "pics" / "a.png", "PNG", seed=1))
    assert first.status is ImportStatus.IMPORTED
    write_image(tmp_path / "pics" / "b.png", "PNG", seed=2)

    results = manager.import_paths(OWNER, "s1", [tmp_path])

    assert [(r.status, Path(r.source).name) for r in results] == [
        (ImportStatus.DUPLICATE, "a.png"),
        (ImportStatus.IMPORTED, "b.png"),
    ]


# -- the thumbnail file an import writes ------------------------------------------------------


def _rgb(im: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    r, g, b = im.convert("RGB").getpixel(xy)  # type: ignore[misc]
    return int(r), int(g), int(b)


def _near(actual: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - e) <= 24 for a, e in zip(actual, expected, strict=True))


def _transparent_png() -> bytes:
    im = Image.new("RGBA", (400, 320), (0, 0, 0, 0))  # transparent *black*
    im.paste((255, 0, 0, 255), (0, 0, 120, 120))
    return encode(im, "PNG")


THUMBNAIL_CASES: dict[str, tuple[bytes, tuple[int, int], tuple[int, int]]] = {
    # name: (file bytes, displayed size, thumbnail size)
    "exif-6.jpg": (with_orientation((800, 400), 6), (800, 400), (200, 100)),
    "exif-8.jpg": (with_orientation((300, 600), 8), (300, 600), (100, 200)),
    "alpha.png": (_transparent_png(), (400, 320), (200, 160)),
    "anim.gif": (
        solid_frames("GIF", [(0, 200, 0), (0, 0, 255), (255, 255, 0)], (300, 300)),
        (300, 300),
        (200, 200),
    ),
    "anim.webp": (
        solid_frames("WEBP", [(0, 200, 0), (0, 0, 255)], (300, 150)),
        (300, 150),
        (200, 100),
    ),
    "tall.png": (image_bytes("PNG", (1, 100_000)), (1, 100_000), (1, 200)),
    "cmyk.jpg": (image_bytes("JPEG", (640, 480), "CMYK"), (640, 480), (200, 150)),
}


@pytest.mark.parametrize("name", list(THUMBNAIL_CASES))
def test_the_thumbnail_file_written_at_import_follows_the_rules(
    manager: StreamImageManager, settings: Settings, tmp_path: Path, name: str
) -> None:
    data, displayed, thumb_size = THUMBNAIL_CASES[name]
    (tmp_path / name).write_bytes(data)
    before = snapshot(settings)[1]
    result = one(manager, tmp_path / name)
    assert result.status is ImportStatus.IMPORTED and result.image_id, result.reason
    (new_file,) = set(snapshot(settings)[1]) - set(before)
    thumb_path = cache_dir_of(settings) / new_file
    assert thumb_path.is_relative_to(cache_dir_of(settings) / "renditions")
    image = manager.image(OWNER, result.image_id)
    assert (image.width, image.height) == displayed

    with Image.open(thumb_path) as thumb:
        assert isinstance(thumb, JpegImagePlugin.JpegImageFile)
        assert thumb.size == thumb_size and max(thumb.size) <= imaging.THUMB_SIZE
        reference = Image.open(io.BytesIO(encode(Image.new("RGB", (8, 8)), "JPEG", quality=85)))
        assert isinstance(reference, JpegImagePlugin.JpegImageFile)
        assert thumb.quantization == reference.quantization  # JPEG quality 85
        assert "exif" not in thumb.info
        thumb.load()
        if name.startswith(("exif", "cmyk")):  # upright: the red marker is top-left
            top_left = _rgb(thumb, (2, 2))
            assert top_left[0] > 200 and top_left[1] < 70 and top_left[2] < 70
            assert not _near(_rgb(thumb, (thumb.width - 3, 2)), top_left)
        elif name == "alpha.png":
            assert _near(_rgb(thumb, (150, 120)), imaging.BACKGROUND)  # not black
            assert _near(_rgb(thumb, (5, 5)), (255, 0, 0))
        elif name.startswith("anim"):
            assert _near(_rgb(thumb, (thumb.width // 2, thumb.height // 2)), (0, 200, 0))

    # The file is a cache: remove it and the same picture is made again from the original.
    stored = thumb_path.read_bytes()
    thumb_path.unlink()
    again = manager.rendition(OWNER, result.image_id, "thumb")
    with Image.open(io.BytesIO(again)) as redone, Image.open(io.BytesIO(stored)) as first:
        assert redone.size == first.size
        assert _near(_rgb(redone, (0, 0)), _rgb(first, (0, 0)))
