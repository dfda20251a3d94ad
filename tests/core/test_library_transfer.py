"""Moving a whole library from one manager to another (issue 13, `team push` / `team pull`),
local to local: every field, the trash, idempotence, the target's limit, damaged sources, a full
target disk, cancel, and SIGKILL of a real transfer process followed by a rerun."""

from __future__ import annotations

import errno
import hashlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from streamimages_desktop.core.errors import UserError
from streamimages_desktop.core.library_transfer import (
    Outcome,
    TransferProgress,
    TransferSummary,
    transfer,
)
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, StreamImage, Visibility
from streamimages_desktop.core.settings import Settings
from tests.core.library_procs import assert_database_sound, child_env, orphans
from tests.core.test_manager import SUBSCRIBER, VIEWER, Clock, add


def _settings(root: Path, **env: str) -> Settings:
    return Settings.load(
        env, library=root / "library", cache_dir=root / "cache", config_file=root / "none"
    )


Records = tuple[
    list[tuple[Any, datetime | None]], list[tuple[StreamImage, datetime | None]], dict[str, bytes]
]


def _everything(manager: StreamImageManager) -> Records:
    """Streams, rows (trashed ones too) and each row's original bytes, read as the owner."""
    rows = manager.image_records(OWNER)
    originals = {image.id: manager.stored_original(OWNER, image.id) for image, _ in rows}
    return manager.stream_records(OWNER), rows, originals


def _fill(manager: StreamImageManager) -> None:
    """A library with every kind of row: three visibilities, titles, descriptions, views and
    last access, a trashed row next to a live one with the same bytes, a trashed stream, and
    an empty stream."""
    a = add(manager, Visibility.PUBLIC, seed=1, title="Sunrise")
    b = add(manager, Visibility.SUBSCRIBERS, seed=2)
    c = add(manager, Visibility.PRIVATE, seed=3)
    add(manager, Visibility.PUBLIC, seed=4, stream="s2")
    manager.update_image(OWNER, b.id, description="for subscribers\nonly")
    manager.update_image(OWNER, c.id, title="Private one", visibility=Visibility.PRIVATE)
    manager.open_image(VIEWER, a.id)
    manager.open_image(SUBSCRIBER, b.id)
    manager.open_image(SUBSCRIBER, b.id)
    manager.delete_images(OWNER, [c.id])
    add(manager, Visibility.PUBLIC, seed=3)  # the trashed row's bytes, live again
    add(manager, Visibility.PRIVATE, seed=5, stream="gone")
    add(manager, Visibility.PUBLIC, seed=6, stream="gone")
    manager.delete_stream(OWNER, "gone")
    manager.create_stream(OWNER, "empty", "An empty stream")
    manager.rename_stream(OWNER, "s2", "Second stream")


@pytest.fixture
def source(tmp_path: Path) -> Iterator[StreamImageManager]:
    with StreamImageManager(_settings(tmp_path / "a"), clock=Clock()) as manager:
        _fill(manager)
        yield manager


@pytest.fixture
def target(tmp_path: Path) -> Iterator[StreamImageManager]:
    with StreamImageManager(_settings(tmp_path / "b")) as manager:
        yield manager


def _blob_files(manager: StreamImageManager) -> set[str]:
    root = manager.settings.stream_images_dir / "originals"
    return {p.name.split(".")[0] for p in root.rglob("*") if p.is_file()}


def _assert_whole(manager: StreamImageManager) -> None:
    """Every row has its original with the right SHA-256, no file lacks a row, and no bytes
    are twice in one stream in the same state."""
    rows = manager.image_records(OWNER)
    for image, _ in rows:
        data = manager.stored_original(OWNER, image.id)
        assert hashlib.sha256(data).hexdigest() == image.sha256
    assert _blob_files(manager) == {image.sha256 for image, _ in rows}
    keys = [(i.stream_id, i.sha256, t is None) for i, t in rows]
    assert len(keys) == len(set(keys))


def test_a_full_copy_keeps_every_field_visibility_and_the_trash(
    source: StreamImageManager, target: StreamImageManager
) -> None:
    summary = transfer(source, target)

    streams, rows, originals = _everything(source)
    assert summary == TransferSummary(
        images=len(rows),
        copied=len(rows),
        already_there=0,
        refused=(),
        bytes_copied=sum(len(b) for b in originals.values()),
        streams_copied=len(streams),
        streams_already_there=0,
    )
    assert _everything(target) == (streams, rows, originals)
    # The same library through every reading door, for every role.
    for viewer in (OWNER, SUBSCRIBER, VIEWER):
        assert target.images(viewer) == source.images(viewer)
        assert target.streams(viewer) == source.streams(viewer)
        assert target.stats(viewer) == source.stats(viewer)
    assert target.trash(OWNER) == source.trash(OWNER)
    assert [t.image.stream_id for t in target.trash(OWNER)].count("gone") == 2
    assert "gone" not in {s.stream.id for s in target.streams(OWNER)}  # still in the trash
    viewed = [i for i, _ in rows if i.views]
    assert {i.views for i in viewed} == {1, 2} and all(i.last_accessed for i in viewed)
    _assert_whole(target)


def test_a_second_run_copies_nothing_and_reads_no_original(
    source: StreamImageManager, target: StreamImageManager
) -> None:
    transfer(source, target)
    before = _everything(target)
    version = target.data_version()
    for path in (source.settings.stream_images_dir / "originals").rglob("*.*"):
        path.unlink()  # a rerun that read an original would now report it missing

    again = transfer(source, target)

    assert (again.copied, again.refused, again.bytes_copied) == (0, (), 0)
    assert again.already_there == again.images == len(before[1])
    assert again.streams_copied == 0 and again.complete
    assert target.data_version() == version  # not one write
    assert _everything(target) == before


def test_bytes_already_in_the_target_under_another_id_are_not_added_again(
    source: StreamImageManager, target: StreamImageManager
) -> None:
    mine = add(target, Visibility.PRIVATE, seed=1, title="mine")  # Sunrise's bytes, in s1

    summary = transfer(source, target)

    assert summary.already_there == 1 and summary.refused == ()
    assert summary.copied == summary.images - 1
    s1 = target.images(OWNER, "s1")
    assert [i.title for i in s1 if i.sha256 == mine.sha256] == ["mine"]
    _assert_whole(target)


def test_the_target_limit_refuses_extras_with_a_reason_and_the_rest_goes_on(
    source: StreamImageManager, tmp_path: Path
) -> None:
    with StreamImageManager(
        _settings(tmp_path / "small", MAX_STREAM_IMAGES_PER_STREAM="2")
    ) as small:
        summary = transfer(source, small)

        live_s1 = [i for i, t in source.image_records(OWNER) if i.stream_id == "s1" and t is None]
        assert len(live_s1) == 3
        assert [r.image_id for r in summary.refused] == [live_s1[2].id]
        (refusal,) = summary.refused
        assert refusal.stream_id == "s1"
        assert "MAX_STREAM_IMAGES_PER_STREAM = 2" in refusal.reason
        assert summary.copied == summary.images - 1 and not summary.complete
        # The trash takes no room: every trashed row came, s1's one as well.
        assert len(small.trash(OWNER)) == len(source.trash(OWNER)) == 3
        assert [i.id for i in small.images(OWNER, "s1")] == [i.id for i in live_s1[1::-1]]
        _assert_whole(small)


def _blob_path(manager: StreamImageManager, image: StreamImage) -> Path:
    root = manager.settings.stream_images_dir / "originals"
    (path,) = root.rglob(f"{image.sha256}.*")
    return path


def test_a_missing_or_damaged_source_original_is_reported_and_the_rest_goes_on(
    source: StreamImageManager, target: StreamImageManager
) -> None:
    rows = [i for i, _ in source.image_records(OWNER)]
    missing, damaged = rows[0], rows[3]
    _blob_path(source, missing).unlink()
    path = _blob_path(source, damaged)
    path.write_bytes(path.read_bytes()[:-1] + b"\0")

    summary = transfer(source, target)

    reasons = {r.image_id: r.reason for r in summary.refused}
    assert set(reasons) == {missing.id, damaged.id}
    assert "missing" in reasons[missing.id]
    assert "damaged" in reasons[damaged.id]
    assert summary.copied == len(rows) - 2
    kept = {i.id for i, _ in target.image_records(OWNER)}
    assert kept == {i.id for i in rows} - {missing.id, damaged.id}
    _assert_whole(target)  # in particular: no file for the damaged bytes


def test_adopt_image_refuses_bytes_that_do_not_match_their_row_and_writes_nothing(
    source: StreamImageManager, target: StreamImageManager
) -> None:
    image, _ = source.image_records(OWNER)[0]
    (stream,) = [s for s, _ in source.stream_records(OWNER) if s.id == image.stream_id]
    assert target.adopt_stream(OWNER, stream) is True
    assert target.adopt_stream(OWNER, stream) is False
    data = source.stored_original(OWNER, image.id)
    with pytest.raises(UserError, match="do not match"):
        target.adopt_image(OWNER, image, data + b"x")
    assert target.image_records(OWNER) == [] and _blob_files(target) == set()
    assert target.adopt_image(OWNER, image, data) is True
    assert target.adopt_image(OWNER, image, data) is False
    assert target.image_records(OWNER) == [(image, None)]


def test_a_full_target_disk_stops_the_transfer_with_no_row_without_its_original(
    source: StreamImageManager, target: StreamImageManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = target._blobs
    put = blobs.put
    calls = []

    def filling(data: bytes, sha256: str, fmt: str, *_visibility: object) -> bool:
        calls.append(sha256)
        if len(calls) > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return put(data, sha256, fmt)

    monkeypatch.setattr(blobs, "put", filling)
    summary = transfer(source, target)

    assert summary.stopped is not None and summary.stopped.endswith("disk full")
    assert "target" in summary.stopped
    assert summary.copied == 3 and summary.refused == () and not summary.complete
    _assert_whole(target)
    monkeypatch.setattr(blobs, "put", put)
    rest = transfer(source, target)
    assert rest.complete and rest.already_there == 3 and rest.copied == rest.images - 3
    assert _everything(target) == _everything(source)


def test_cancel_stops_between_rows_and_a_rerun_copies_the_rest(
    source: StreamImageManager, target: StreamImageManager
) -> None:
    seen: list[TransferProgress] = []
    summary = transfer(source, target, progress=seen.append, cancel=lambda: len(seen) > 2)
    assert summary.cancelled and summary.copied == 2 and not summary.complete
    rest = transfer(source, target)
    assert (rest.already_there, rest.copied) == (2, rest.images - 2)
    assert _everything(target) == _everything(source)


def test_progress_tells_every_row_with_totals_for_a_bar(
    source: StreamImageManager, target: StreamImageManager
) -> None:
    add(target, seed=2)  # one already there
    seen: list[TransferProgress] = []
    summary = transfer(source, target, progress=seen.append)

    rows = [i for i, _ in source.image_records(OWNER)]
    total = sum(i.bytes for i in rows)
    assert seen[0] == TransferProgress(0, len(rows), 0, total)
    assert [p.done for p in seen] == list(range(len(rows) + 1))
    assert {(p.total, p.bytes_total) for p in seen} == {(len(rows), total)}
    assert [p.image for p in seen[1:]] == rows
    assert seen[-1].bytes_done == total
    outcomes = [p.outcome for p in seen[1:]]
    assert outcomes.count(Outcome.ALREADY_THERE) == summary.already_there == 1
    assert outcomes.count(Outcome.COPIED) == summary.copied == len(rows) - 1


# -- SIGKILL of a real transfer process ------------------------------------------------------

# argv: source target mode; prints "row N" after each row. Mode "blob" prints "blob" and
# sleeps after each original is written (so a kill lands between the file and its row); "run"
# is storage a little slow (3 ms before each write), so ten more rows outlast the kill's delay
# and a kill lands before, inside or after a write, or around a commit.
WORKER = """
import sys, time
from pathlib import Path
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.library_transfer import transfer
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.settings import Settings

source, target, mode = sys.argv[1:4]
put = BlobStore.put
def slow_put(self, data, sha256, fmt, *rest):
    if mode == "run":
        time.sleep(0.003)
    new = put(self, data, sha256, fmt, *rest)
    if mode == "blob":
        print("blob", flush=True)
        time.sleep(0.05)
    return new
BlobStore.put = slow_put

def settings(root):
    return Settings.load({}, library=Path(root) / "library", cache_dir=Path(root) / "cache",
                         config_file=Path(root) / "none")

with StreamImageManager(settings(source), housekeeping_at_start=False) as a, \\
        StreamImageManager(settings(target), housekeeping_at_start=False) as b:
    transfer(a, b, progress=lambda p: print("row", p.done, flush=True))
print("done", flush=True)
"""

SIZE = 20


def _worker(source: Path, target: Path, mode: str) -> subprocess.Popen[str]:
    StreamImageManager(_settings(target)).close()  # made before the worker opens it
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(source), str(target), mode],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


def _kill_when(proc: subprocess.Popen[str], seen: Callable[[list[str]], bool], delay: float) -> str:
    """SIGKILL the worker `delay` seconds after its output so far satisfies `seen`."""
    with proc:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line.strip())
            if seen(lines):
                break
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        lines.extend(proc.stdout.read().split())
    assert proc.returncode == -signal.SIGKILL
    out = "\n".join(lines)
    assert "done" not in out
    return out


@pytest.fixture
def twenty(tmp_path: Path) -> Path:
    """A library of 20 rows: 16 live in s1, 2 trashed, 2 in another stream."""
    root = tmp_path / "twenty"
    with StreamImageManager(_settings(root), clock=Clock()) as manager:
        ids = [add(manager, seed=seed, size=(300, 200)).id for seed in range(SIZE - 2)]
        add(manager, Visibility.PRIVATE, seed=50, stream="other")
        add(manager, Visibility.SUBSCRIBERS, seed=51, stream="other")
        manager.delete_images(OWNER, ids[12:14])
    return root


def _rerun_and_check(source: Path, target: Path, *, file_without_row: bool) -> None:
    """After the kill: whole rows only, each with its original; a rerun ends with exactly the
    source, no duplicate, no orphan, a sound database."""
    tsettings = _settings(target)
    assert_database_sound(tsettings)
    with (
        StreamImageManager(_settings(source), housekeeping_at_start=False) as a,
        StreamImageManager(tsettings, housekeeping_at_start=False) as b,
    ):
        got = b.image_records(OWNER)
        assert 10 <= len(got) < SIZE
        assert all(row in a.image_records(OWNER) for row in got)  # whole rows, no others
        for image, _ in got:  # no row without its original, even before the rerun
            assert b.stored_original(OWNER, image.id)
        assert len(_blob_files(b)) == len(got) + file_without_row
        rerun = transfer(a, b)
        assert rerun.complete and rerun.already_there == len(got)
        assert rerun.copied == SIZE - len(got)
        assert _everything(b) == _everything(a)
        b.collect_orphans(grace_seconds=0)
        assert orphans(b, tsettings) == ([], set())
        _assert_whole(b)
    assert_database_sound(tsettings)


def test_a_transfer_killed_between_an_original_and_its_row_resumes_exactly(
    twenty: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    # The 11th new original is on disk and its row is not: the worker sleeps right there.
    _kill_when(_worker(twenty, target, "blob"), lambda lines: lines.count("blob") == 11, 0.0)
    _rerun_and_check(twenty, target, file_without_row=True)


@pytest.mark.parametrize("delay", [0.0, 0.003, 0.008])
def test_a_transfer_killed_anywhere_after_ten_rows_resumes_exactly(
    twenty: Path, tmp_path: Path, delay: float
) -> None:
    target = tmp_path / "target"
    out = _kill_when(_worker(twenty, target, "run"), lambda lines: "row 10" in lines, delay)
    assert "row 10" in out
    tsettings = _settings(target)
    with StreamImageManager(tsettings, housekeeping_at_start=False) as b:
        extra = len(_blob_files(b)) - len(b.image_records(OWNER))
    assert extra in (0, 1)  # at most the one original whose row the kill stopped
    _rerun_and_check(twenty, target, file_without_row=bool(extra))


def test_a_read_only_library_is_copied_from_and_refused_as_a_target_in_one_line(
    tmp_path: Path,
) -> None:
    with StreamImageManager(_settings(tmp_path / "a"), clock=Clock()) as manager:
        _fill(manager)
    library = tmp_path / "a" / "library"
    if subprocess.run(["chattr", "-R", "+i", library], capture_output=True).returncode:
        pytest.skip("no chattr +i here: no way to refuse root a write")
    try:
        with (
            StreamImageManager(_settings(tmp_path / "a")) as locked,
            StreamImageManager(_settings(tmp_path / "b")) as target,
        ):
            assert locked.read_only
            assert transfer(locked, target).complete
            assert _everything(target) == _everything(locked)
            assert transfer(target, locked).complete  # all there already: nothing to write
            add(target, seed=99)
            back = transfer(target, locked)
            assert back.copied == 0 and back.stopped is not None
            assert back.stopped.startswith("writing the target library: the library")
            assert "read-only" in back.stopped
    finally:
        subprocess.run(["chattr", "-R", "-i", library], check=True)
