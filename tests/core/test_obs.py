"""OBS hand-off: the folder mode's atomic switches and obs-websocket v5 against a fake OBS."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from streamimages_desktop.core import obs_folder
from streamimages_desktop.core.errors import EnvironmentProblem, NotFound, UserError
from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Viewer, Visibility
from streamimages_desktop.core.settings import Settings
from tests import canaries
from tests.images import EXT
from tests.obs_fake import fake_obs

pytestmark = pytest.mark.both_backends

VIEWER = Viewer(Role.VIEWER)
SUBSCRIBER = Viewer(Role.SUBSCRIBER)
FORMAT_OF = {".jpg": "JPEG", ".png": "PNG", ".gif": "GIF", ".webp": "WEBP"}
PASSWORD = "hunter2 with spaces"


@pytest.fixture
def manager(settings: Settings) -> StreamImageManager:
    with StreamImageManager(settings) as m:
        yield m  # type: ignore[misc]


def add(manager: StreamImageManager, canary: canaries.Canary, visibility: Visibility) -> str:
    data = canary.data + visibility.value.encode()
    name = f"{canary.name}{EXT[canary.format]}"
    result = manager.import_bytes(OWNER, "show", data, name, ImportOptions(visibility))
    assert result.image_id is not None
    return result.image_id


def seed(manager: StreamImageManager) -> dict[str, Visibility]:
    return {
        add(manager, canary, visibility): visibility
        for canary in canaries.all_canaries()
        for visibility in Visibility
    }


def complete_and_clean(path: Path) -> bool:
    data = path.read_bytes()
    canaries.assert_clean(data, FORMAT_OF[path.suffix])
    with Image.open(io.BytesIO(data)) as im:
        im.load()
    return True


# -- folder mode ---------------------------------------------------------------------------------


def test_a_reader_never_sees_a_partial_current_file_during_50_switches(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    ids = []
    for n in range(3):  # large PNGs: a write in place would be seen half done
        buf = io.BytesIO()
        Image.effect_noise((500 + n, 500), 60).convert("RGB").save(buf, "PNG", compress_level=0)
        result = manager.import_bytes(OWNER, "show", buf.getvalue(), f"big{n}.png")
        assert result.image_id is not None
        ids.append(result.image_id)
    derivatives = [manager.derivative(VIEWER, i) for i in ids]
    whole = {d.data for d in derivatives}
    folder = tmp_path / "obs"
    current = folder / "current.png"
    obs_folder.show(folder, ids[0], derivatives[0])
    stop = threading.Event()
    seen: set[bytes] = set()
    bad: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                data = current.read_bytes()
            except FileNotFoundError:
                bad.append("missing")
                continue
            if data not in whole:  # what OBS would show as a blank source
                bad.append(f"a partial file of {len(data)} bytes")
            seen.add(data)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for n in range(1, 51):
            obs_folder.show(folder, ids[n % 3], derivatives[n % 3])
    finally:
        stop.set()
        thread.join(30)
    assert bad == []
    assert len(seen) >= 2, "the reader saw no switch"
    assert current.read_bytes() == derivatives[50 % 3].data
    assert len(list(folder.glob("shown-*"))) <= 3
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_show_in_folder_writes_a_clean_current_file(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    image_id = add(manager, canaries.jpeg_canary(), Visibility.PUBLIC)
    path = manager.show_in_folder(VIEWER, image_id, tmp_path / "obs")
    assert path == tmp_path / "obs" / "current.jpg" and complete_and_clean(path)
    other = add(manager, canaries.png_canary(), Visibility.PUBLIC)
    assert manager.show_in_folder(VIEWER, other, tmp_path / "obs").name == "current.png"
    assert not path.exists()  # one current picture, whatever its type


def test_show_in_folder_refuses_what_the_audience_may_not_see_like_a_missing_id(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    private = add(manager, canaries.jpeg_canary(), Visibility.PRIVATE)
    subs = add(manager, canaries.gif_canary(), Visibility.SUBSCRIBERS)
    with pytest.raises(NotFound, match=f"^no image {private}$"):
        manager.show_in_folder(SUBSCRIBER, private, tmp_path / "obs")
    with pytest.raises(NotFound, match=f"^no image {subs}$"):
        manager.show_in_folder(VIEWER, subs, tmp_path / "obs")
    with pytest.raises(UserError):
        manager.show_in_folder(OWNER, private, tmp_path / "obs")
    assert not (tmp_path / "obs").exists()
    path = manager.show_in_folder(SUBSCRIBER, subs, tmp_path / "obs")
    assert path.name == "current.gif" and complete_and_clean(path)


def test_the_slideshow_folder_holds_exactly_the_audiences_images_in_grid_order(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    made = seed(manager)
    folder = tmp_path / "slides"
    (folder).mkdir()
    (folder / "notes.txt").write_text("mine")
    paths = manager.slideshow_to_folder(SUBSCRIBER, "show", folder)
    grid = [i.id for i in manager.images(SUBSCRIBER, "show")]
    assert [p.name.split("-", 1)[1].split(".")[0] for p in paths] == grid
    assert {made[i] for i in grid} == {Visibility.PUBLIC, Visibility.SUBSCRIBERS}
    assert all(complete_and_clean(p) for p in paths)
    manager.update_image(OWNER, grid[0], visibility=Visibility.PRIVATE)
    again = manager.slideshow_to_folder(SUBSCRIBER, "show", folder)
    assert len(again) == len(paths) - 1
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [p.name for p in again] + ["notes.txt"]
    )
    assert grid[0] not in " ".join(p.name for p in folder.iterdir())
    with pytest.raises(NotFound, match=r"^no stream nope$"):
        manager.slideshow_to_folder(VIEWER, "nope", folder)


# -- obs-websocket v5 ----------------------------------------------------------------------------


def obs_settings(settings: Settings, url: str, password: str = PASSWORD) -> Settings:
    return settings._replace(obs_websocket_url=url, obs_websocket_password=password)


def test_show_on_obs_names_a_complete_clean_new_file_for_each_switch(
    settings: Settings,
) -> None:
    def inspect(kind: str, data: dict[str, Any]) -> Any:
        if kind == "SetInputSettings":
            return complete_and_clean(Path(data["inputSettings"]["file"]))
        return None

    with (
        fake_obs(PASSWORD, {"Picture": {"file": ""}}, inspect=inspect) as obs,
        StreamImageManager(obs_settings(settings, obs.url)) as manager,
    ):
        first = add(manager, canaries.jpeg_canary(), Visibility.PUBLIC)
        second = add(manager, canaries.webp_canary(animated=True), Visibility.PUBLIC)
        hidden = add(manager, canaries.png_canary(), Visibility.SUBSCRIBERS)
        one = manager.show_on_obs(VIEWER, first, "Picture")
        two = manager.show_on_obs(VIEWER, second, "Picture")
        with pytest.raises(NotFound, match=f"^no image {hidden}$"):
            manager.show_on_obs(VIEWER, hidden, "Picture")
    assert obs.kinds == ["GetInputSettings", "SetInputSettings"] * 2
    assert one != two and one.parent == two.parent
    assert [data["inputSettings"] for kind, data, _ in obs.requests if kind[0] == "S"] == [
        {"file": str(one)},
        {"file": str(two)},
    ]
    assert [seen for kind, _, seen in obs.requests if kind[0] == "S"] == [True, True]
    assert obs.inputs["Picture"]["file"] == str(two)
    assert all(data["overlay"] is True for kind, data, _ in obs.requests if kind[0] == "S")


def test_slideshow_on_obs_reapplies_the_files_and_steps(settings: Settings) -> None:
    def inspect(kind: str, data: dict[str, Any]) -> Any:
        if kind == "SetInputSettings":
            return [complete_and_clean(Path(f["value"])) for f in data["inputSettings"]["files"]]
        return None

    inputs: dict[str, dict[str, Any]] = {"Slides": {"files": [], "loop": True}}
    with (
        fake_obs(PASSWORD, inputs, inspect=inspect) as obs,
        StreamImageManager(obs_settings(settings, obs.url)) as manager,
    ):
        made = seed(manager)
        paths = manager.slideshow_on_obs(VIEWER, "show", "Slides")
        manager.step_obs_slideshow("Slides")
        manager.step_obs_slideshow("Slides", forward=False)
        grid = [i.id for i in manager.images(VIEWER, "show")]
    assert obs.kinds == [
        "GetInputSettings",
        "SetInputSettings",
        "TriggerMediaInputAction",
        "TriggerMediaInputAction",
    ]
    files = obs.inputs["Slides"]["files"]
    assert [f["value"] for f in files] == [str(p) for p in paths]
    assert [p.name.split("-", 1)[1].split(".")[0] for p in paths] == grid
    assert {made[i] for i in grid} == {Visibility.PUBLIC}
    assert all(obs.requests[1][2])
    assert obs.inputs["Slides"]["loop"] is True  # overlay: the input's other settings stay
    assert [data["mediaAction"] for _, data, _ in obs.requests[2:]] == [
        "OBS_WEBSOCKET_MEDIA_INPUT_ACTION_NEXT",
        "OBS_WEBSOCKET_MEDIA_INPUT_ACTION_PREVIOUS",
    ]


def test_a_wrong_password_an_unknown_input_and_no_obs_are_one_line_each(
    settings: Settings, tmp_path: Path
) -> None:
    with fake_obs(PASSWORD, {"Picture": {}}) as obs:
        with StreamImageManager(obs_settings(settings, obs.url, "wrong")) as manager:
            image_id = add(manager, canaries.png_canary(), Visibility.PUBLIC)
            with pytest.raises(EnvironmentProblem) as wrong:
                manager.show_on_obs(VIEWER, image_id, "Picture")
        with (
            StreamImageManager(obs_settings(settings, obs.url)) as manager,
            pytest.raises(UserError) as unknown,
        ):
            manager.show_on_obs(VIEWER, image_id, "Nope")
        url = obs.url
    assert obs.identified == [False, True]
    assert (
        str(wrong.value) == f"obs-websocket at {url} refused the password (OBS_WEBSOCKET_PASSWORD)"
    )
    assert "wrong" not in str(wrong.value)
    assert str(unknown.value) == "OBS has no input named 'Nope'"
    assert obs.kinds == ["GetInputSettings"]  # nothing set, no file written for a wrong input
    assert not (settings.stream_images_dir / "obs").exists()
    with (
        StreamImageManager(obs_settings(settings, url)) as manager,  # the server is gone now
        pytest.raises(EnvironmentProblem) as gone,
    ):
        manager.show_on_obs(VIEWER, image_id, "Picture")
    assert str(gone.value).startswith(f"cannot reach OBS at {url}: is OBS running")
    for err in (wrong, unknown, gone):
        assert "\n" not in str(err.value)
