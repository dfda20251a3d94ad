"""`export`, `on-stream` and `slideshow` on the command line: the README's contract."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from streamimages_desktop.cli import entry as cli
from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Visibility
from tests import canaries
from tests.cli.shell import assert_clean_error, run, settings_for
from tests.images import EXT
from tests.obs_fake import fake_obs

FORMAT_OF = {".jpg": "JPEG", ".png": "PNG", ".gif": "GIF", ".webp": "WEBP"}


def seed(tmp_path: Path) -> dict[Visibility, str]:
    """A canary of each visibility in stream s1 (jpeg public, png subscribers, gif private)."""
    made = {}
    kinds = zip(
        Visibility,
        [canaries.jpeg_canary(), canaries.png_canary(), canaries.gif_canary()],
        strict=True,
    )
    with StreamImageManager(settings_for(tmp_path)) as manager:
        for visibility, canary in kinds:
            name = f"{canary.name}{EXT[canary.format]}"
            options = ImportOptions(visibility, title=f"the {visibility.value} one")
            result = manager.import_bytes(OWNER, "s1", canary.data, name, options)
            assert result.image_id is not None
            made[visibility] = result.image_id
    return made


def main(tmp_path: Path, *args: str | Path) -> int:
    base = ["--library", str(tmp_path / "lib"), "--cache-dir", str(tmp_path / "cache")]
    return cli.main([*base, *map(str, args)])


def test_export_prints_one_line_per_image_the_role_may_see(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = seed(tmp_path)
    out = tmp_path / "out"
    proc = run(tmp_path, "export", *ids.values(), "--to", out)  # --as defaults to viewer
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout == f"exported {ids[Visibility.PUBLIC]} {out / 'the public one.jpg'}\n"
    canaries.assert_clean((out / "the public one.jpg").read_bytes(), "JPEG")
    assert (
        main(
            tmp_path,
            "export",
            "--stream",
            "s1",
            "--as",
            "subscriber",
            "--zip",
            out / "s.zip",
            "--manifest",
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert sorted(line.split()[1] for line in lines) == sorted(
        [ids[Visibility.PUBLIC], ids[Visibility.SUBSCRIBERS]]
    )
    with zipfile.ZipFile(out / "s.zip") as archive:
        names = archive.namelist()
        for name in names:
            if not name.startswith("manifest"):
                canaries.assert_clean(archive.read(name), FORMAT_OF[Path(name).suffix])
        manifest = archive.read("manifest.csv").decode()
    assert sorted(names) == sorted(
        ["manifest.csv", "manifest.json", "the public one.jpg", "the subscribers one.png"]
    )
    assert "private" not in manifest
    assert all(
        line.startswith(f"exported {i} {out / 's.zip'}/")
        for i, line in zip([line.split()[1] for line in lines], lines, strict=True)
    )
    assert main(tmp_path, "export", "--all", "--as", "owner", "--to", tmp_path / "all") == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--to", "x"],
        ["export", "--all", "--stream", "s1", "--to", "x"],
        ["export", "--all"],
        ["export", "--all", "--to", "x", "--zip", "y.zip"],
        ["on-stream", "ID", "--as", "owner", "--folder", "x"],
        ["on-stream", "ID"],
        ["slideshow", "--folder", "x"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(tmp_path, *args)
    assert exited.value.code == 2


def test_on_stream_refuses_a_hidden_image_with_the_missing_id_line(tmp_path: Path) -> None:
    ids = seed(tmp_path)
    folder = tmp_path / "obs"
    hidden = run(tmp_path, "on-stream", ids[Visibility.SUBSCRIBERS], "--folder", folder)
    missing = run(tmp_path, "on-stream", "0" * len(ids[Visibility.SUBSCRIBERS]), "--folder", folder)
    assert (
        assert_clean_error(hidden, 1) == f"streamimages: no image {ids[Visibility.SUBSCRIBERS]}\n"
    )
    assert (
        assert_clean_error(missing, 1)
        == f"streamimages: no image {'0' * len(ids[Visibility.SUBSCRIBERS])}\n"
    )
    assert not folder.exists()
    shown = run(
        tmp_path, "on-stream", ids[Visibility.SUBSCRIBERS], "--as", "subscriber", "--folder", folder
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"on stream {ids[Visibility.SUBSCRIBERS]} {folder / 'current.png'}\n"
    canaries.assert_clean((folder / "current.png").read_bytes(), "PNG")


def test_slideshow_to_a_folder_and_to_obs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = seed(tmp_path)
    assert main(tmp_path, "slideshow", "--stream", "s1", "--folder", tmp_path / "slides") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and ids[Visibility.PUBLIC] in lines[0]
    with fake_obs("pw", {"Slides": {}}) as obs:
        monkeypatch.setenv("OBS_WEBSOCKET_URL", obs.url)
        monkeypatch.setenv("OBS_WEBSOCKET_PASSWORD", "pw")
        args = ["slideshow", "--stream", "s1", "--as", "subscriber", "--obs-input"]
        assert main(tmp_path, *args, "Slides") == 0
        assert len(capsys.readouterr().out.splitlines()) == 2
        assert main(tmp_path, *args, "Nope") == 1
        assert capsys.readouterr().err == "streamimages: OBS has no input named 'Nope'\n"
        monkeypatch.setenv("OBS_WEBSOCKET_PASSWORD", "wrong")
        assert main(tmp_path, "on-stream", ids[Visibility.PUBLIC], "--obs-input", "Slides") == 1
        err = capsys.readouterr().err
        refused = f"obs-websocket at {obs.url} refused the password (OBS_WEBSOCKET_PASSWORD)"
        assert err == f"streamimages: {refused}\n"
    assert obs.kinds == [
        "GetInputSettings",
        "SetInputSettings",
        "GetInputSettings",
    ]


def test_an_export_of_nothing_the_role_may_see_is_one_line_and_no_file(tmp_path: Path) -> None:
    ids = seed(tmp_path)
    target = tmp_path / "out.zip"
    proc = run(tmp_path, "export", ids[Visibility.PRIVATE], "--as", "subscriber", "--zip", target)
    err = assert_clean_error(proc, 1)
    assert err == "streamimages: nothing to export: no image chosen is visible to subscriber\n"
    assert proc.stdout == "" and not target.exists()


def test_a_slideshow_of_nothing_visible_empties_the_folder_and_says_so(tmp_path: Path) -> None:
    ids = seed(tmp_path)
    slides = tmp_path / "slides"
    assert run(tmp_path, "slideshow", "--stream", "s1", "--folder", slides).returncode == 0
    assert len(list(slides.iterdir())) == 1  # the public one
    proc = run(tmp_path, "set", ids[Visibility.PUBLIC], "--visibility", "private")
    assert proc.returncode == 0, proc.stderr
    proc = run(tmp_path, "slideshow", "--stream", "s1", "--folder", slides)
    assert proc.returncode == 0 and proc.stdout == ""
    expected = "the slideshow is empty: no image of stream s1 is visible to viewer"
    assert proc.stderr == f"streamimages: warning: {expected}\n"
    assert list(slides.iterdir()) == []
