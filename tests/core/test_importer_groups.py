"""Group commits (issue 14): many files in one transaction and one round of fsyncs, yet each file
all or nothing on its own, refused alone, and reported only once its group has committed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from streamimages_desktop.core import blobs as blobs_module
from streamimages_desktop.core import imaging
from streamimages_desktop.core import store as store_module
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.errors import DuplicateImage, StreamFull
from streamimages_desktop.core.importer import ImportOptions, ImportResult, ImportStatus, _Candidate
from streamimages_desktop.core.manager import LIBRARY_FILE, RENDITION_SIZES, StreamImageManager
from streamimages_desktop.core.models import OWNER, Sort, Stream, StreamImage
from streamimages_desktop.core.settings import Settings
from tests.core.library_procs import (
    assert_database_sound,
    assert_rows_have_their_files,
    child_env,
    make_batch,
    orphans,
    sha256_of,
)
from tests.core.test_importer import snapshot
from tests.images import write_image


@pytest.fixture
def manager(settings: Settings) -> Iterator[StreamImageManager]:
    with StreamImageManager(settings) as m:
        yield m


def prepared(manager: StreamImageManager, paths: Sequence[Path]) -> list[_Candidate]:
    """Stage 1 for each path, as the import's workers do it."""
    found = [manager._importer.prepare_path(p) for p in paths]
    assert all(isinstance(c, _Candidate) for c in found), found
    return [c for c in found if isinstance(c, _Candidate)]


def rows_seen_from_outside(settings: Settings) -> set[str]:
    """Image ids another connection sees: only what has committed."""
    db = sqlite3.connect(settings.stream_images_dir / LIBRARY_FILE)
    try:
        return {str(r[0]) for r in db.execute("SELECT id FROM images")}
    finally:
        db.close()


# -- one group, each file on its own ------------------------------------------------------------


def test_refused_files_fail_alone_inside_one_group(
    manager: StreamImageManager, settings: Settings, tmp_path: Path
) -> None:
    old = write_image(tmp_path / "old.png", seed=1)
    (earlier,) = manager.import_paths(OWNER, "s1", [old])
    paths = [write_image(tmp_path / f"n{i}.png", seed=10 + i) for i in range(3)]
    twin = tmp_path / "twin.png"
    twin.write_bytes(paths[0].read_bytes())
    group = prepared(manager, [paths[0], old, paths[1], twin, paths[2]])
    results = manager._importer.commit_group(OWNER.user_id, "s1", group, ImportOptions())
    assert [r.status for r in results] == [
        ImportStatus.IMPORTED,
        ImportStatus.DUPLICATE,  # of the row from before
        ImportStatus.IMPORTED,
        ImportStatus.DUPLICATE,  # of the first file of this very group
        ImportStatus.IMPORTED,
    ]
    assert results[1].image_id == earlier.image_id
    assert results[3].image_id == results[0].image_id
    rows = {i.id for i in manager.images(OWNER, "s1")}
    assert rows == {earlier.image_id, results[0].image_id, results[2].image_id, results[4].image_id}
    originals, renditions, _rows = snapshot(settings)
    assert len(originals) == 4 and len(renditions) == 4  # nothing of the refused ones stays


def test_the_limit_is_exact_inside_a_group(settings: Settings, tmp_path: Path) -> None:
    with StreamImageManager(settings._replace(max_stream_images_per_stream=3)) as manager:
        manager.import_paths(OWNER, "s1", [write_image(tmp_path / "a.png", seed=1)])
        paths = [write_image(tmp_path / f"{i}.png", seed=20 + i) for i in range(4)]
        results = manager._importer.commit_group(
            OWNER.user_id, "s1", prepared(manager, paths), ImportOptions()
        )
        assert [r.status for r in results] == [ImportStatus.IMPORTED] * 2 + [
            ImportStatus.REJECTED
        ] * 2
        assert results[2].reason == (
            "stream s1 already holds 3 images (MAX_STREAM_IMAGES_PER_STREAM = 3)"
        )
        assert len(manager.images(OWNER, "s1")) == 3
        originals, renditions, _rows = snapshot(settings)
        assert len(originals) == len(renditions) == 3


def test_a_row_refused_inside_the_transaction_undoes_only_itself(
    manager: StreamImageManager, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another importer won a race after the pre-check: the store refuses that one row (its
    SAVEPOINT), the rest of the group commits, and the winner's blob stays."""
    shared = write_image(tmp_path / "shared.png", seed=3)
    paths = [write_image(tmp_path / f"{i}.png", seed=30 + i) for i in range(2)]
    group = prepared(manager, [paths[0], shared, paths[1]])
    (winner,) = manager.import_paths(OWNER, "s1", [shared])
    monkeypatch.setattr(manager._store, "find_duplicate", lambda *_: None)  # the race
    results = manager._importer.commit_group(OWNER.user_id, "s1", group, ImportOptions())
    assert [r.status for r in results] == [
        ImportStatus.IMPORTED,
        ImportStatus.DUPLICATE,
        ImportStatus.IMPORTED,
    ]
    assert results[1].image_id == winner.image_id
    monkeypatch.undo()
    assert len(manager.images(OWNER, "s1")) == 3
    blobs = BlobStore(settings.stream_images_dir / "originals")
    assert blobs.read(sha256_of(shared), "PNG") == shared.read_bytes()
    assert manager.rendition(OWNER, winner.image_id)  # the winner keeps its thumbnail


def test_store_insert_images_keeps_the_others_when_one_row_is_refused(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    group = prepared(manager, [write_image(tmp_path / f"{i}.png", seed=40 + i) for i in range(3)])
    now = manager._clock()
    rows = [manager._importer._row(c.image_id, "fresh", c, ImportOptions(), now) for c in group]
    rows[1] = rows[1]._replace(sha256=rows[0].sha256)  # the same bytes twice
    outcomes = manager._store.insert_images(
        rows, 2, create_stream=Stream("fresh", "fresh", OWNER.user_id, now)
    )
    assert outcomes[0] is None
    assert isinstance(outcomes[1], DuplicateImage) and outcomes[1].image_id == rows[0].id
    assert outcomes[2] is None
    assert {i.id for i in manager.images(OWNER, "fresh")} == {rows[0].id, rows[2].id}
    again = manager._store.insert_images([rows[1]._replace(sha256="f" * 64)], 2)
    assert isinstance(again[0], StreamFull)


def test_a_group_that_is_refused_entirely_leaves_no_stream(
    manager: StreamImageManager, settings: Settings, tmp_path: Path
) -> None:
    group = prepared(manager, [write_image(tmp_path / "a.png", seed=5)])
    now = manager._clock()
    rows = [manager._importer._row(c.image_id, "fresh", c, ImportOptions(), now) for c in group]
    outcomes = manager._store.insert_images(
        rows, 0, create_stream=Stream("fresh", "fresh", OWNER.user_id, now)
    )
    assert isinstance(outcomes[0], StreamFull)
    assert manager.streams(OWNER) == []


# -- reported only after the commit -------------------------------------------------------------


def test_every_result_is_reported_after_its_row_is_committed(
    manager: StreamImageManager, settings: Settings, tmp_path: Path
) -> None:
    paths = [write_image(tmp_path / f"{i:02d}.png", seed=50 + i) for i in range(40)]
    checked: list[str] = []

    def progress(_done: int, _total: int, result: ImportResult) -> None:
        assert result.status is ImportStatus.IMPORTED
        assert result.image_id in rows_seen_from_outside(settings)
        checked.append(str(result.image_id))

    results = manager.import_paths(OWNER, "s1", paths, progress=progress)
    assert checked == [r.image_id for r in results] and len(checked) == 40
    oldest_first = [i.id for i in manager.images(OWNER, "s1", sort=Sort.OLDEST)]
    assert oldest_first == checked  # input order, though many shared a transaction


def test_a_failed_group_reports_no_file_as_imported_and_leaves_nothing(
    manager: StreamImageManager, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills while the group's rows go in: the transaction rolls back as a whole, every
    file of the group is refused with one line, and none of its files or thumbnails stays."""
    before = snapshot(settings)
    real = store_module.insert_row
    seen = [0]

    def full_on_the_third(conn: sqlite3.Connection, image: StreamImage) -> None:
        seen[0] += 1
        if seen[0] == 3:
            raise OSError(28, os.strerror(28))
        real(conn, image)

    paths = [write_image(tmp_path / f"{i}.png", seed=60 + i) for i in range(4)]
    group = prepared(manager, paths)
    monkeypatch.setattr(store_module, "insert_row", full_on_the_third)
    results = manager._importer.commit_group(OWNER.user_id, "s1", group, ImportOptions())
    monkeypatch.undo()
    assert [(r.status, r.reason) for r in results] == [(ImportStatus.REJECTED, "disk full")] * 4
    assert snapshot(settings) == before
    assert manager.streams(OWNER) == []
    again = manager.import_paths(OWNER, "s1", paths)
    assert all(r.status is ImportStatus.IMPORTED for r in again)


def test_a_group_whose_originals_cannot_be_synced_leaves_nothing(
    manager: StreamImageManager, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(settings)
    calls = [0]
    real = os.fsync

    def fail_third(fd: int) -> None:
        calls[0] += 1
        if calls[0] == 3:
            raise OSError(28, os.strerror(28))
        real(fd)

    group = prepared(manager, [write_image(tmp_path / f"{i}.png", seed=70 + i) for i in range(5)])
    monkeypatch.setattr(os, "fsync", fail_third)
    results = manager._importer.commit_group(OWNER.user_id, "s1", group, ImportOptions())
    monkeypatch.undo()
    assert {(r.status, r.reason) for r in results} == {(ImportStatus.REJECTED, "disk full")}
    assert snapshot(settings) == before
    assert list(settings.stream_images_dir.rglob("*.part")) == []


def test_put_many_is_durable_and_leaves_an_existing_blob_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BlobStore(tmp_path / "originals")
    items = [(bytes([i]) * 100, f"{i:064x}", "PNG") for i in range(1, 4)]
    assert store.put(*items[1]) is True
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real(fd))
    assert store.put_many([*items, items[0]]) == [True, False, True, False]
    assert len(synced) == 2 + 1  # the two new files, then their one folder, once
    for data, sha, fmt in items:
        assert store.read(sha, fmt) == data
    assert [p for p in tmp_path.rglob("*.part")] == []


def test_rendition_sizes_match_imaging(settings: Settings) -> None:
    """The manager names them without loading Pillow; they must stay imaging's figures."""
    assert RENDITION_SIZES == {"thumb": imaging.THUMB_SIZE, "display": imaging.DISPLAY_SIZE}
    assert blobs_module.BlobStore  # blobs imports imaging only when a path is made


# -- a kill in the middle of a group ------------------------------------------------------------

# Imports `paths`; the store stops for good inside the group's transaction after `after` rows
# (prints "inside" first), so the parent can SIGKILL it there.
KILLED_WORKER = """
import sys, time
from pathlib import Path
from streamimages_desktop.core import store
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings

library, cache, after = sys.argv[1], sys.argv[2], int(sys.argv[3])
real = store.insert_row
seen = [0]

def stalling(conn, image):
    real(conn, image)
    seen[0] += 1
    if seen[0] == after:
        print("inside", flush=True)
        time.sleep(60)

store.insert_row = stalling
settings = Settings.load(library=Path(library), cache_dir=Path(cache))
with StreamImageManager(settings, housekeeping_at_start=False) as manager:
    manager.import_paths(OWNER, "s", [Path(p) for p in sys.argv[4:]])
print("done", flush=True)
"""


@pytest.mark.parametrize("after", [1, 5])
def test_a_kill_inside_a_group_leaves_each_file_all_or_nothing(tmp_path: Path, after: int) -> None:
    batch = make_batch(tmp_path / "batch", 24)
    settings = Settings.load(library=tmp_path / "library", cache_dir=tmp_path / "cache", env={})
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_WORKER,
            str(settings.stream_images_dir),
            str(settings.image_cache_dir),
            str(after),
            *map(str, batch),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "inside\n"  # rows of the group are in, not committed
        originals = settings.stream_images_dir / "originals"
        staged = [p for p in originals.rglob("*") if p.is_file()]
        assert staged  # the group's originals were written (and synced) before its rows
        proc.send_signal(signal.SIGKILL)
    assert_database_sound(settings)
    with StreamImageManager(settings, housekeeping_at_start=False) as manager:
        rows = manager.images(OWNER)
        assert len(rows) < after  # only groups before the killed one committed
        assert_rows_have_their_files(manager, settings)  # every row that committed is whole
        uncommitted = {sha256_of(p) for p in batch} - {r.sha256 for r in rows}
        assert uncommitted  # the killed group has no row at all
        manager.collect_orphans(grace_seconds=0)
        files, stale = orphans(manager, settings)
        assert files == [] and stale == set()  # its originals and thumbnails were orphans
        results = manager.import_paths(OWNER, "s", batch)
        assert not [r for r in results if r.status is ImportStatus.REJECTED]
        assert sorted(i.sha256 for i in manager.images(OWNER)) == sorted(map(sha256_of, batch))
    assert_database_sound(settings)


def test_put_many_works_in_a_forked_child_after_the_parent_used_it(tmp_path: Path) -> None:
    """The fsync threads are kept between groups; a forked child must not wait on the
    parent's threads, which it does not have."""
    store = BlobStore(tmp_path / "originals")
    store.put_many([(b"a" * 10, "a" * 64, "PNG"), (b"b" * 10, "b" * 64, "PNG")])
    pid = os.fork()
    if pid == 0:  # the child: exit status says whether its group was stored
        try:
            stored = store.put_many([(b"c" * 10, "c" * 64, "PNG"), (b"d" * 10, "d" * 64, "PNG")])
            os._exit(0 if stored == [True, True] else 1)
        except BaseException:
            os._exit(2)
    deadline = time.monotonic() + 20
    while (found := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if found[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child's put_many hung on its parent's threads")
    assert os.waitstatus_to_exitcode(found[1]) == 0
    assert store.read("d" * 64, "PNG") == b"d" * 10


class OneAtATime:
    """A blob store with only put/read/remove taking a visibility (as the team's S3 store
    has): the group commit must fall back to one put per file."""

    def __init__(self, real: BlobStore, fail_at: int | None = None) -> None:
        self.real, self.fail_at, self.puts = real, fail_at, 0

    def put(self, data: bytes, sha256: str, fmt: str, visibility: object) -> bool:
        self.puts += 1
        if self.puts == self.fail_at:
            raise OSError(28, os.strerror(28))
        return self.real.put(data, sha256, fmt)

    def remove(self, sha256: str, fmt: str, visibility: object = None) -> None:
        self.real.remove(sha256, fmt)

    def read(self, sha256: str, fmt: str, visibility: object = None) -> bytes:
        return self.real.read(sha256, fmt)


@pytest.mark.parametrize("fail_at", [None, 3])
def test_a_blob_store_without_put_many_gets_one_put_per_file(
    manager: StreamImageManager,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fail_at: int | None,
) -> None:
    before = snapshot(settings)
    store = OneAtATime(manager._blobs, fail_at)
    monkeypatch.setattr(manager._importer._commit, "blobs", store)
    paths = [write_image(tmp_path / f"{i}.png", seed=80 + i) for i in range(4)]
    results = manager._importer.commit_group(
        OWNER.user_id, "s1", prepared(manager, paths), ImportOptions()
    )
    assert store.puts == (4 if fail_at is None else 3)
    if fail_at is None:
        assert {r.status for r in results} == {ImportStatus.IMPORTED}
        assert len(manager.images(OWNER, "s1")) == 4
    else:  # the two written before the failure are removed again: the group is all or nothing
        assert {(r.status, r.reason) for r in results} == {(ImportStatus.REJECTED, "disk full")}
        assert snapshot(settings) == before


def test_insert_images_asks_the_store_it_runs_on_for_the_count(
    manager: StreamImageManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that counts otherwise (the team store counts the rows its member may see)
    answers the limit check of a group too."""
    group = prepared(manager, [write_image(tmp_path / "a.png", seed=90)])
    now = manager._clock()
    rows = [manager._importer._row(c.image_id, "s1", c, ImportOptions(), now) for c in group]
    manager._store.create_stream(Stream("s1", "s1", OWNER.user_id, now))
    monkeypatch.setattr(manager._store, "_count_all", lambda _conn, _stream: 10**6)
    outcomes = manager._store.insert_images(rows, 50)
    assert isinstance(outcomes[0], StreamFull)
