"""The `streamimages` command line run for real on a temporary library: output, exit codes, disk."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from streamimages_desktop import cli
from streamimages_desktop.cli_format import escape
from streamimages_desktop.config import Settings
from streamimages_desktop.core import access
from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Viewer, Visibility
from tests.images import EXT, image_bytes, truncated, write_image

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


def run(
    tmp_path: Path, *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m streamimages_desktop --library ... --cache-dir ... ARGS` with a hard timeout."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "streamimages_desktop",
            "--library",
            str(tmp_path / "lib"),
            "--cache-dir",
            str(tmp_path / "cache"),
            *map(str, args),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        timeout=60,  # a FIFO read by mistake would hang: fail instead
    )


def settings_for(tmp_path: Path) -> Settings:
    return Settings.load({}, library=tmp_path / "lib", cache_dir=tmp_path / "cache")


def rows(tmp_path: Path) -> list[tuple[str, str, str, int]]:
    with sqlite3.connect(tmp_path / "lib" / "library.sqlite3") as db:
        return db.execute(
            "SELECT id, stream_id, visibility, views FROM images ORDER BY original_name"
        ).fetchall()


def blobs(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "lib" / "originals").rglob("*") if p.is_file())


def assert_clean_error(proc: subprocess.CompletedProcess[str], code: int) -> str:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc.stderr


def seeded_library(tmp_path: Path) -> dict[Visibility, str]:
    """One image of each visibility in stream s1; returns their ids."""
    ids: dict[Visibility, str] = {}
    with StreamImageManager(settings_for(tmp_path)) as manager:
        for seed, vis in enumerate(Visibility):
            result = manager.import_bytes(
                OWNER,
                "s1",
                image_bytes("PNG", (120, 80), seed=seed),
                f"{vis.value}.png",
                ImportOptions(vis, description=f"the {vis.value} one"),
            )
            assert result.image_id is not None
            ids[vis] = result.image_id
    return ids


# -- import -----------------------------------------------------------------------------------


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
    assert by_name["dirlink.png"].endswith(": not a regular file (a folder)")
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
    assert small_limit.stdout.startswith(f"rejected {big}: too large (0.11 MB; the limit is 0.01")
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


# -- reads ------------------------------------------------------------------------------------


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
        "subscribers": 0,
        "private": 0,
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
        assert stats[vis.value] == int(vis in allowed)
        code = cli.main([*base, "show", image_id, "--as", role.value, "--json"])
        out, err = capsys.readouterr()
        if vis in allowed:
            assert code == 0 and json.loads(out)["id"] == image_id
        else:
            assert (code, out, err) == (1, "", f"streamimages: no image {image_id}\n")
        assert cli.main([*base, "list", "--as", role.value, "--search", f"the {vis.value}"]) == 0
        assert (image_id in capsys.readouterr().out) is (vis in allowed)


# -- edits ------------------------------------------------------------------------------------


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
    assert deleted.stdout == f"deleted {public}\ndeleted {private}\n"
    assert [r[0] for r in rows(tmp_path)] == [ids[Visibility.SUBSCRIBERS]]
    assert len(blobs(tmp_path)) == 1
    assert run(tmp_path, "delete", ids[Visibility.SUBSCRIBERS]).returncode == 0
    assert rows(tmp_path) == [] and blobs(tmp_path) == []


# -- errors, exit codes, no Qt ----------------------------------------------------------------


def test_bad_settings_are_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = run(tmp_path, "list", env={"IMAGE_CACHE_MAX_MEMORY_MB": "lots"})
    err = assert_clean_error(proc, 2)
    assert err.startswith("streamimages: IMAGE_CACHE_MAX_MEMORY_MB='lots'") and err.count("\n") == 1
    proc = run(tmp_path, "stats", env={"MAX_STREAM_IMAGES_PER_STREAM": "-3"})
    assert "MAX_STREAM_IMAGES_PER_STREAM" in assert_clean_error(proc, 2)


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        ["import", "a.png"],
        ["import", "--stream", "Not A Slug!", "a.png"],
        ["import", "--stream", "s1"],
        ["list", "--as", "admin"],
        ["list", "--sort", "random"],
        ["show"],
        ["set", "abc"],
        ["import", "--stream", "s1", "--visibility", "secret", "a.png"],
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--library", str(tmp_path / "lib"), *argv])
    assert exit_.value.code == 2
    assert "usage:" in capsys.readouterr().err
    assert not (tmp_path / "lib").exists()  # nothing was opened or created


def test_usage_error_from_the_real_command(tmp_path: Path) -> None:
    proc = run(tmp_path, "import", "--stream", "../etc", "x.png")
    assert "invalid stream id" in assert_clean_error(proc, 2)


def test_interrupt_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(StreamImageManager, "import_paths", interrupted)
    path = write_image(tmp_path / "a.png")
    code = cli.main(["--library", str(tmp_path / "lib"), "import", "--stream", "s", str(path)])
    assert code == 130 and capsys.readouterr().err == "streamimages: interrupted\n"


def test_commands_other_than_gui_never_import_qt(tmp_path: Path) -> None:
    image = write_image(tmp_path / "a.png")
    lib, cache = tmp_path / "lib", tmp_path / "cache"
    script = f"""
import sys
from streamimages_desktop.cli import main
base = ["--library", {str(lib)!r}, "--cache-dir", {str(cache)!r}]
codes = [main(base + argv) for argv in (
    ["import", "--stream", "s1", {str(image)!r}], ["list"], ["list", "--json"], ["streams"],
    ["stats", "--json"], ["cache", "stats"],
)]
qt = sorted(m for m in sys.modules if m.startswith(("PySide6", "shiboken6")))
print("RESULT", codes, qt)
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "RESULT [0, 0, 0, 0, 0, 0] []"


def test_escape_makes_every_name_one_printable_line() -> None:
    assert escape("plain name.png") == "plain name.png"
    assert escape("new\nline\r\t.png") == "new\\nline\\r\\t.png"
    assert escape("bell\x07esc\x1b[31mred\x9bcsi") == "bell\\x07esc\\x1b[31mred\\x9bcsi"
    assert escape("back\\slash") == "back\\\\slash"
    assert escape("caf\udce9.png") == "caf\\udce9.png"  # an undecodable byte
    assert escape("evil\u202egnp.exe") == "evil\\u202egnp.exe"  # right-to-left override
    assert escape("<b>x</b> café ✓") == "<b>x</b> café ✓"
