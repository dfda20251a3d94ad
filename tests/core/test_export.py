"""Export: per role exactly what it may see, clean files, safe unique names, all or nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import threading
import zipfile
from pathlib import Path

import pytest

from streamimages_desktop.core.errors import EnvironmentProblem, UserError
from streamimages_desktop.core.export import safe_name
from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Viewer, Visibility
from streamimages_desktop.core.settings import Settings
from tests import canaries
from tests.images import EXT

pytestmark = pytest.mark.both_backends

VISIBLE = {
    Role.OWNER: set(Visibility),
    Role.SUBSCRIBER: {Visibility.PUBLIC, Visibility.SUBSCRIBERS},
    Role.VIEWER: {Visibility.PUBLIC},
}
FORMAT_OF = {".jpg": "JPEG", ".png": "PNG", ".gif": "GIF", ".webp": "WEBP"}


@pytest.fixture
def manager(settings: Settings) -> StreamImageManager:
    with StreamImageManager(settings) as m:
        yield m  # type: ignore[misc]


def seed(manager: StreamImageManager) -> dict[str, Visibility]:
    """Every canary in every visibility (titles say which), in stream "show"; id -> visibility."""
    made: dict[str, Visibility] = {}
    for canary in canaries.all_canaries():
        for visibility in Visibility:
            data = canary.data + visibility.value.encode()  # distinct bytes, no duplicate refusal
            options = ImportOptions(
                visibility,
                title=f"{canary.name} {visibility.value}",
                description=f"about {canary.name}",
            )
            name = f"{canary.name}{EXT[canary.format]}"
            result = manager.import_bytes(OWNER, "show", data, name, options)
            assert result.image_id is not None, result
            made[result.image_id] = visibility
    return made


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_each_role_exports_exactly_what_it_may_see_clean_with_its_manifest(
    manager: StreamImageManager, tmp_path: Path, role: Role, as_zip: bool
) -> None:
    made = seed(manager)
    viewer = Viewer(role)
    target = tmp_path / ("out.zip" if as_zip else "out")
    images = manager.export_selection(viewer)
    result = manager.export(viewer, target, images, as_zip=as_zip, manifest=True)
    expected = {i for i, v in made.items() if v in VISIBLE[role]}
    assert {e.image_id for e in result.exported} == expected
    if as_zip:
        with zipfile.ZipFile(target) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    else:
        files = {p.name: p.read_bytes() for p in target.iterdir()}
    assert {e.path.name for e in result.exported} | {"manifest.csv", "manifest.json"} == set(files)
    for name, data in files.items():
        if name.startswith("manifest"):
            continue
        canaries.assert_clean(data, FORMAT_OF[Path(name).suffix])
    rows = json.loads(files["manifest.json"])
    assert rows == list(csv.DictReader(io.StringIO(files["manifest.csv"].decode())))
    assert {r["file"] for r in rows} == {e.path.name for e in result.exported}
    assert {r["visibility"] for r in rows} == {v.value for v in VISIBLE[role]}
    assert all(set(r) == {"file", "title", "description", "visibility", "stream"} for r in rows)
    hidden = {v.value for v in Visibility} - {v.value for v in VISIBLE[role]}
    everything = b"".join(files.values())
    assert not any(f" {word}".encode() in files["manifest.csv"] for word in hidden)
    assert not canaries.found_markers(everything)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_ids_a_role_may_not_see_are_left_out_without_a_word(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    made = seed(manager)
    ids = [*made, "0" * 16]
    chosen = manager.export_selection(Viewer(Role.VIEWER), image_ids=ids)
    assert {i.id for i in chosen} == {i for i, v in made.items() if v is Visibility.PUBLIC}


def test_a_row_made_private_after_the_selection_is_not_exported(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    seed(manager)
    viewer = Viewer(Role.VIEWER)
    chosen = manager.export_selection(viewer)
    manager.update_image(OWNER, chosen[0].id, visibility=Visibility.PRIVATE)
    result = manager.export(viewer, tmp_path / "out", chosen)
    assert chosen[0].id not in {e.image_id for e in result.exported}
    assert len(result.exported) == len(chosen) - 1


@pytest.mark.parametrize("as_zip", [False, True])
def test_an_export_of_nothing_the_role_may_see_writes_nothing(
    manager: StreamImageManager, tmp_path: Path, as_zip: bool
) -> None:
    """Only private images chosen, as a viewer: no empty zip or folder, and a line that says
    why without telling whether the images exist."""
    made = seed(manager)
    private = [i for i, v in made.items() if v is Visibility.PRIVATE]
    viewer = Viewer(Role.VIEWER)
    target = tmp_path / ("out.zip" if as_zip else "out")
    everything = [manager.image(OWNER, i) for i in private]
    with pytest.raises(UserError, match="nothing to export: no image chosen is visible to viewer"):
        manager.export(viewer, target, everything, as_zip=as_zip)
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("kind", "as_zip", "reason"),
    [
        ("folder", True, "is a folder: give a zip file name"),
        ("pipe", True, "is a device, pipe or socket: give a zip file name"),
        ("file", False, "is a file: give a folder"),
    ],
)
def test_a_target_of_the_wrong_kind_is_refused_and_left_as_it_was(
    manager: StreamImageManager, tmp_path: Path, kind: str, as_zip: bool, reason: str
) -> None:
    """The zip is renamed over its target: a pipe (or, for root, a device such as
    /dev/full) would have been replaced by a zip file."""
    seed(manager)
    target = tmp_path / "out"
    if kind == "folder":
        target.mkdir()
    elif kind == "pipe":
        os.mkfifo(target)
    else:
        target.write_bytes(b"mine")
    before = target.lstat()
    with pytest.raises(UserError, match=reason):
        manager.export(OWNER, target, manager.export_selection(OWNER), as_zip=as_zip)
    after = target.lstat()
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "library", "out"]


def test_names_come_from_titles_made_safe_and_unique(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    titles = ["../../etc/passwd", "a/b\\c", "CON", "same", "Same", "same", "  .hidden", "\x1b[31m"]
    for n, title in enumerate(titles):
        data = canaries.picture(seed=n)
        buf = io.BytesIO()
        data.save(buf, "PNG")
        options = ImportOptions(title=title)
        assert manager.import_bytes(OWNER, "s", buf.getvalue(), "x.png", options).image_id
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "same.png").write_bytes(b"mine")
    images = manager.export_selection(OWNER)
    result = manager.export(OWNER, tmp_path / "out", images)
    names = [e.path.name for e in result.exported]
    assert len({n.lower() for n in names} | {"same.png"}) == len(names) + 1
    assert (tmp_path / "out" / "same.png").read_bytes() == b"mine"
    for e in result.exported:
        assert e.path.parent == tmp_path / "out" and e.path.is_file()
        assert not e.path.name.startswith(".") and e.path.name.isprintable()
    assert safe_name("CON", "id1") == "CON_id1"
    assert safe_name("../../etc/passwd", "id1") == "etc_passwd"
    assert safe_name("", "id1") == "id1"


def test_a_cancelled_export_writes_nothing(manager: StreamImageManager, tmp_path: Path) -> None:
    seed(manager)
    cancel = threading.Event()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 3:
            cancel.set()

    images = manager.export_selection(OWNER)
    for target, as_zip in ((tmp_path / "out", False), (tmp_path / "out.zip", True)):
        seen.clear()
        cancel.clear()
        result = manager.export(
            OWNER, target, images, as_zip=as_zip, progress=progress, cancel=cancel
        )
        assert result.cancelled and result.exported == []
        assert seen == [(1, len(images)), (2, len(images)), (3, len(images))]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "library"]


def test_a_failing_export_leaves_nothing_behind(
    manager: StreamImageManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(manager)
    import streamimages_desktop.core.export as exporting

    real = exporting.write_all
    calls = []

    def full_disk(fd: int, data: bytes) -> None:
        calls.append(1)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(exporting, "write_all", full_disk)
    with pytest.raises(EnvironmentProblem):
        manager.export(OWNER, tmp_path / "out", manager.export_selection(OWNER))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "library"]


def test_the_csv_manifest_never_starts_a_formula() -> None:
    from streamimages_desktop.core.export import MANIFEST_FIELDS, manifest_files

    row = dict.fromkeys(MANIFEST_FIELDS, "plain")
    row["title"] = '=HYPERLINK("http://evil.example","x")'
    files = manifest_files([row])
    text = files["manifest.csv"].decode()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert '"title": "=HYPERLINK' in files["manifest.json"].decode()  # JSON keeps it as is
