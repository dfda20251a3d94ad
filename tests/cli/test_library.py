"""import, list, show, set, delete, streams and stats, run for real on a temporary library."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from streamimages_desktop.cli import entry as cli
from streamimages_desktop.cli.format import escape
from streamimages_desktop.core import access
from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Viewer, Visibility
from tests.cli.shell import assert_clean_error, blobs, rows, run, seeded_library, settings_for
from tests.images import (
    EXT,
    encode,
    image_bytes,
    picture,
    truncated,
    with_declared_size,
    write_image,
)

IMAGE_KEYS = {
    "id",
    "stream",
    "title",
    "description",
    "visibility",
    "width",
    "height",
    "format",
    "bytes",
    "sha256",
    "views",
    "created",
}


def test_import_reports_one_line_per_file_and_stores_only_the_good_ones(tmp_path: Path) -> None:
    src = tmp_path / "src"
    good = write_image(src / "good.png", seed=1)
    write_image(src / "UPPER.JPG", "JPEG", seed=2)
    (src / "png-named.jpg").write_bytes(image_bytes("PNG", seed=3))
    write_image(src / "folder" / "inside.gif", "GIF", seed=4)
    os.mkfifo(src / "fifo.png")
    (src / "link.png").symlink_to(good)
    (src / "dirlink.png").symlink_to(src / "folder")
    (src / "notes.txt").write_bytes(image_bytes("PNG", seed=5))
    (src / "empty.png").write_bytes(b"")
    tiff = io.BytesIO()
    Image.new("RGB", (8, 8)).save(tiff, "TIFF")
    (src / "tiff.png").write_bytes(tiff.getvalue())
    (src / "eps.png").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\n")
    (src / "svg.png").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    for fmt, ext in EXT.items():
        (src / f"truncated{ext}").write_bytes(truncated(image_bytes(fmt, (200, 150)), 0.5))
    write_image(src / "new\nline.png", seed=6)
    write_image(src / "<i>x</i>", seed=7)  # a folder "<i>x<" holding a file "i>"

    proc = run(tmp_path, "import", "--stream", "s1", "--visibility", "subscribers", "--", src)
    assert_clean_error(proc, 1)
    lines = proc.stdout.splitlines()
    by_name = {line.rsplit("/", 1)[-1].split(":")[0]: line for line in lines}
    assert len(lines) == len(by_name) == 19, proc.stdout
    imported = {n for n, line in by_name.items() if line.startswith("imported ")}
    assert imported == {"good.png", "UPPER.JPG", "png-named.jpg", "inside.gif", "new\\nline.png"}
    assert by_name["fifo.png"].endswith("fifo.png: not a regular file (a pipe, socket or device)")
    assert by_name["dirlink.png"].endswith(
        ": a link to a folder (links to folders are not followed)"
    )
    assert by_name["notes.txt"].endswith(
        ": extension .txt is not allowed (allowed: .bmp .gif .jpeg .jpg .png .webp)"
    )
    assert by_name["empty.png"].endswith(": empty file")
    assert by_name["tiff.png"].endswith(": TIFF images are not supported")
    assert by_name["eps.png"].endswith(": EPS images are not supported")
    assert by_name["svg.png"].endswith(": SVG images are not supported")
    assert by_name["i>"].endswith(
        ": no file extension is not allowed (allowed: .bmp .gif .jpeg .jpg .png .webp)"
    )
    for ext in EXT.values():
        assert by_name[f"truncated{ext}"].endswith(": truncated or corrupt image data")
    assert by_name["new\\nline.png"].endswith(f" {src}/new\\nline.png")  # one line, escaped
    assert by_name["link.png"].startswith("duplicate ")  # it points at good.png

    stored = rows(tmp_path)
    assert len(stored) == 5 and {r[1:] for r in stored} == {("s1", "subscribers", 0)}
    assert len(blobs(tmp_path)) == 5
    with sqlite3.connect(tmp_path / "lib" / "library.sqlite3") as db:
        formats = dict(db.execute("SELECT original_name, format FROM images").fetchall())
    assert formats["png-named.jpg"] == "PNG" and formats["UPPER.JPG"] == "JPEG"
    assert formats["new\nline.png"] == "PNG"


def test_import_exit_codes_duplicates_and_limits(tmp_path: Path) -> None:
    a = write_image(tmp_path / "a.png", seed=1)
    b = write_image(tmp_path / "b.png", seed=2)
    c = write_image(tmp_path / "c.png", seed=3)
    first = run(tmp_path, "import", "--stream", "s1", "--title", "Same", a, a)
    assert first.returncode == 0, first.stderr
    (imported, duplicate) = first.stdout.splitlines()
    image_id = imported.split()[1]
    assert imported == f"imported {image_id} {a}"
    assert duplicate == f"duplicate {image_id} {a}"

    limited = run(
        tmp_path, "import", "--stream", "s1", b, c, env={"MAX_STREAM_IMAGES_PER_STREAM": "2"}
    )
    assert limited.returncode == 1
    assert limited.stdout.splitlines()[1] == (
        f"rejected {c}: stream s1 already holds 2 images (MAX_STREAM_IMAGES_PER_STREAM = 2)"
    )
    big = write_image(tmp_path / "big.bmp", "BMP", (200, 200))  # 120 KB of pixels
    small_limit = run(
        tmp_path, "import", "--stream", "s2", big, env={"MAX_IMAGE_UPLOAD_SIZE_MB": "0.01"}
    )
    assert small_limit.returncode == 1
    assert small_limit.stdout.startswith(f"rejected {big}: too large (117.2 KB; the limit is 0.01")
    assert len(rows(tmp_path)) == 2 and len(blobs(tmp_path)) == 2
    second = run(tmp_path, "import", "--stream", "s2", "--visibility", "private", a)
    assert second.returncode == 0 and second.stdout.startswith("imported ")
    assert len(rows(tmp_path)) == 3 and len(blobs(tmp_path)) == 2  # one blob, two streams


def test_pixel_bomb_and_small_pixel_limit(tmp_path: Path) -> None:
    ok = write_image(tmp_path / "ok.png", size=(10, 10))
    wide = write_image(tmp_path / "wide.png", size=(100, 20), seed=1)
    proc = run(tmp_path, "import", "--stream", "s1", ok, wide, env={"IMAGE_MAX_PIXELS": "1000"})
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[1] == f"rejected {wide}: too many pixels (100x20 > 1000)"
    assert len(rows(tmp_path)) == 1


def test_list_show_stats_streams_for_each_role(tmp_path: Path) -> None:
    ids = seeded_library(tmp_path)
    listed = run(tmp_path, "list", "--as", "subscriber", "--json", "--sort", "title")
    assert listed.returncode == 0
    records = json.loads(listed.stdout)
    assert [r["visibility"] for r in records] == ["public", "subscribers"]
    assert all(set(r) >= IMAGE_KEYS for r in records)
    assert records[0]["id"] == ids[Visibility.PUBLIC] and records[0]["width"] == 120

    table = run(tmp_path, "list", "--as", "viewer", "--stream", "s1", "--search", "public")
    assert table.returncode == 0
    header, *body = table.stdout.splitlines()
    assert header.split()[:3] == ["ID", "STREAM", "VISIBILITY"] and len(body) == 1
    assert body[0].split()[:5] == [ids[Visibility.PUBLIC], "s1", "public", "PNG", "120x80"]

    stats = run(tmp_path, "stats", "--as", "viewer", "--json")
    assert stats.returncode == 0
    assert json.loads(stats.stdout) | {"bytes": 0} == {
        "total": 1,
        "public": 1,
        "bytes": 0,
        "views": 0,
    }
    assert "total:" in run(tmp_path, "stats", "--stream", "s1").stdout

    streams = run(tmp_path, "streams", "--json")
    assert streams.returncode == 0
    assert [(s["id"], s["images"]) for s in json.loads(streams.stdout)] == [("s1", 3)]
    assert run(tmp_path, "streams").stdout.splitlines()[1].split()[:2] == ["s1", "3"]

    missing_stream = run(tmp_path, "list", "--stream", "nope")
    assert assert_clean_error(missing_stream, 1) == "streamimages: no stream nope\n"


def test_show_counts_views_only_for_subscribers_and_viewers(tmp_path: Path) -> None:
    ids = seeded_library(tmp_path)
    public = ids[Visibility.PUBLIC]
    assert run(tmp_path, "show", public, "--as", "viewer").returncode == 0
    owner = run(tmp_path, "show", public)
    assert owner.returncode == 0 and "views:" in owner.stdout and "the public one" in owner.stdout
    seen = run(tmp_path, "show", public, "--as", "subscriber", "--json")
    record = json.loads(seen.stdout)
    assert record["views"] == 2 and record["last_accessed"] is not None
    assert {r[0]: r[3] for r in rows(tmp_path)}[public] == 2

    hidden = run(tmp_path, "show", ids[Visibility.PRIVATE], "--as", "subscriber")
    missing = run(tmp_path, "show", "0" * 32, "--as", "subscriber")
    assert assert_clean_error(hidden, 1) == f"streamimages: no image {ids[Visibility.PRIVATE]}\n"
    assert assert_clean_error(missing, 1) == f"streamimages: no image {'0' * 32}\n"
    assert hidden.stdout == missing.stdout == ""
    assert {r[0]: r[3] for r in rows(tmp_path)}[ids[Visibility.PRIVATE]] == 0


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_no_read_reveals_a_hidden_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], role: Role
) -> None:
    """Every visibility against every role, in-process through the same main()."""
    ids = seeded_library(tmp_path)
    base = ["--library", str(tmp_path / "lib"), "--cache-dir", str(tmp_path / "cache")]
    allowed = access.allowed_visibilities(Viewer(role))

    assert cli.main([*base, "list", "--as", role.value, "--json"]) == 0
    listed = {r["id"] for r in json.loads(capsys.readouterr().out)}
    assert listed == {ids[v] for v in allowed}
    assert cli.main([*base, "list", "--as", role.value]) == 0
    table = capsys.readouterr().out
    assert cli.main([*base, "stats", "--as", role.value, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["total"] == len(allowed)
    for vis, image_id in ids.items():
        assert (image_id in table) is (vis in allowed)
        assert stats.get(vis.value) == (1 if vis in allowed else None)  # hidden: no figure
        code = cli.main([*base, "show", image_id, "--as", role.value, "--json"])
        out, err = capsys.readouterr()
        if vis in allowed:
            assert code == 0 and json.loads(out)["id"] == image_id
        else:
            assert (code, out, err) == (1, "", f"streamimages: no image {image_id}\n")
        assert cli.main([*base, "list", "--as", role.value, "--search", f"the {vis.value}"]) == 0
        assert (image_id in capsys.readouterr().out) is (vis in allowed)


def test_set_and_delete(tmp_path: Path) -> None:
    ids = seeded_library(tmp_path)
    public, private = ids[Visibility.PUBLIC], ids[Visibility.PRIVATE]
    changed = run(tmp_path, "set", public, "--visibility", "private", "--title", "Hidden now")
    assert changed.returncode == 0 and changed.stdout == f"updated {public}\n"
    assert {r[0]: r[2] for r in rows(tmp_path)}[public] == "private"
    assert json.loads(run(tmp_path, "list", "--as", "viewer", "--json").stdout) == []
    shown = json.loads(run(tmp_path, "show", public, "--json").stdout)
    assert shown["title"] == "Hidden now"

    nothing = run(tmp_path, "set", public)
    assert "nothing to change" in assert_clean_error(nothing, 2)
    assert "no image" in assert_clean_error(run(tmp_path, "set", "f" * 32, "--title", "x"), 1)

    assert len(blobs(tmp_path)) == 3
    deleted = run(tmp_path, "delete", public, "nope", private)
    assert assert_clean_error(deleted, 1) == "streamimages: no image nope\n"
    assert deleted.stdout == f"trashed {public}\ntrashed {private}\n"
    assert len(rows(tmp_path)) == 3 and len(blobs(tmp_path)) == 3  # in the trash, on disk
    assert run(tmp_path, "empty-trash").stdout == f"purged {public}\npurged {private}\n"
    assert [r[0] for r in rows(tmp_path)] == [ids[Visibility.SUBSCRIBERS]]
    assert len(blobs(tmp_path)) == 1
    assert run(tmp_path, "delete", ids[Visibility.SUBSCRIBERS]).returncode == 0
    assert run(tmp_path, "empty-trash").returncode == 0
    assert rows(tmp_path) == [] and blobs(tmp_path) == []


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("a AND OR NOT (", 0),
        ("*", 0),
        ("NEAR(a b)", 0),
        ("'; DROP TABLE images;--", 0),
        ("^-:", 0),
        ("the OR", 0),  # OR is a word to look for, not an operator
        ("the public", 1),
        ('"', 3),  # nothing left to look for once quotes are dropped: no filter
        ("\x01\x7f", 3),
    ],
)
def test_any_search_text_is_just_text(tmp_path: Path, search: str, found: int) -> None:
    seeded_library(tmp_path)
    proc = run(tmp_path, "list", "--json", "--search", search)
    assert proc.returncode == 0 and proc.stderr == ""
    assert len(json.loads(proc.stdout)) == found
    assert len(rows(tmp_path)) == 3


@pytest.mark.parametrize(
    "image_id", ["x", "../../etc/passwd", "", "\n\x1b[31mred", "%", "' OR 1=1 --", "0" * 500]
)
def test_unknown_ids_of_any_shape_are_one_escaped_line(tmp_path: Path, image_id: str) -> None:
    seeded_library(tmp_path)
    for command in (["show", image_id], ["set", image_id, "--title", "t"], ["delete", image_id]):
        proc = run(tmp_path, *command)
        assert assert_clean_error(proc, 1) == f"streamimages: no image {escape(image_id)}\n"
        assert proc.stderr.count("\n") == 1 and "\x1b" not in proc.stderr
    assert len(rows(tmp_path)) == 3


def test_every_command_that_prints_names_escapes_them(tmp_path: Path) -> None:
    with StreamImageManager(settings_for(tmp_path)) as manager:
        manager.create_stream(OWNER, "s1", "evil\x1b[2Jtitle\nline two")
        image_id = manager.import_bytes(
            OWNER, "s1", image_bytes(), "bell\x07new\nline\u202egnp.png",
            ImportOptions(description="desc\r\nwith\tcontrols"),
        ).image_id  # fmt: skip
    assert image_id is not None
    outputs = {
        "list": run(tmp_path, "list").stdout,
        "list --search": run(tmp_path, "list", "--search", "bell").stdout,
        "show": run(tmp_path, "show", image_id).stdout,
        "streams": run(tmp_path, "streams").stdout,
        "list --json": run(tmp_path, "list", "--json").stdout,
        "show --json": run(tmp_path, "show", image_id, "--json").stdout,
        "streams --json": run(tmp_path, "streams", "--json").stdout,
    }
    for command, out in outputs.items():
        assert out, command
        assert not any(ch in out for ch in "\x07\x1b\r\t\u202e"), command
    assert len(outputs["list"].splitlines()) == 2
    assert "bell\\x07new\\nline\\u202egnp" in outputs["list"]
    assert "bell\\x07new\\nline\\u202egnp" in outputs["list --search"]
    assert "desc\\r\\nwith\\tcontrols" in outputs["show"]
    assert "evil\\x1b[2Jtitle\\nline two" in outputs["streams"]
    assert len(outputs["streams"].splitlines()) == 2
    record = json.loads(outputs["show --json"])
    assert record["original_name"] == "bell\x07new\nline\u202egnp.png"
    assert json.loads(outputs["streams --json"])[0]["title"] == "evil\x1b[2Jtitle\nline two"


def test_viewer_stats_reveal_nothing_of_hidden_images_not_even_bytes_or_views(
    tmp_path: Path,
) -> None:
    ids = seeded_library(tmp_path)
    for _ in range(2):
        assert run(tmp_path, "show", ids[Visibility.PUBLIC], "--as", "viewer").returncode == 0
    for _ in range(3):
        assert (
            run(tmp_path, "show", ids[Visibility.SUBSCRIBERS], "--as", "subscriber").returncode == 0
        )
    # seen by viewers while public, then made private: its views must vanish from their stats
    assert run(tmp_path, "set", ids[Visibility.PRIVATE], "--visibility", "public").returncode == 0
    assert run(tmp_path, "show", ids[Visibility.PRIVATE], "--as", "viewer").returncode == 0
    assert run(tmp_path, "set", ids[Visibility.PRIVATE], "--visibility", "private").returncode == 0
    with sqlite3.connect(tmp_path / "lib" / "library.sqlite3") as db:
        size = dict(db.execute("SELECT visibility, bytes FROM images").fetchall())

    def stats(role: str, *extra: str) -> dict[str, int]:
        proc = run(tmp_path, "stats", "--as", role, "--json", *extra)
        assert proc.returncode == 0, proc.stderr
        result: dict[str, int] = json.loads(proc.stdout)
        assert set(result) >= {"total", "public", "bytes", "views"}
        table = run(tmp_path, "stats", "--as", role, *extra).stdout
        assert [line.split(":")[0].strip() for line in table.splitlines()] == list(result)
        return result

    # a role is told nothing of the visibilities it may not see, not even a 0
    expected_viewer = {"total": 1, "public": 1, "bytes": size["public"], "views": 2}
    assert stats("viewer") == stats("viewer", "--stream", "s1") == expected_viewer
    subscriber_bytes = size["public"] + size["subscribers"]
    assert stats("subscriber") == {"total": 2, "public": 1, "subscribers": 1,
                                   "bytes": subscriber_bytes, "views": 5}  # fmt: skip
    assert stats("owner") == {"total": 3, "public": 1, "subscribers": 1, "private": 1,
                              "bytes": sum(size.values()), "views": 6}  # fmt: skip


def test_broken_exif_imports_and_no_python_warning_reaches_the_user(tmp_path: Path) -> None:
    # Pillow warns "Corrupt EXIF data" (UserWarning) while reading this file; run with default
    # warning filters, as a user would, not the test suite's -W error.
    broken = tmp_path / "broken-exif.jpg"
    broken.write_bytes(
        encode(picture((120, 80)), "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff")
    )
    env = {"PYTHONWARNINGS": "default"}
    proc = run(tmp_path, "import", "--stream", "s1", broken, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith("imported ") and proc.stdout.count("\n") == 1
    assert [r[1] for r in rows(tmp_path)] == ["s1"] and len(blobs(tmp_path)) == 1
    listed = run(tmp_path, "list", "--json", env=env)
    assert (listed.stderr, json.loads(listed.stdout)[0]["width"]) == ("", 120)


def test_a_declared_bomb_is_refused_without_a_pillow_warning_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.gif"
    bomb.write_bytes(with_declared_size(image_bytes("GIF", (8, 8)), "GIF", (65535, 65535)))
    proc = run(tmp_path, "import", "--stream", "s1", bomb, env={"PYTHONWARNINGS": "default"})
    assert proc.returncode == 1 and proc.stderr == ""
    assert proc.stdout == f"rejected {bomb}: too many pixels (65535x65535 > 89478485)\n"
    assert rows(tmp_path) == [] and blobs(tmp_path) == []
