"""The window's settings signal, and a memory limit typed in the cache pane surviving a restart."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.live_settings import LiveSettings
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.settings import SPECS, Settings, SettingsError, config_path
from streamimages_desktop.ui.cache.pane import CachePane
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.settings_signal import SettingsSignal
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.ui.window_fixtures import wait_settled

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

MIB = 1024 * 1024
SHOTS = Path(__file__).resolve().parent.parent.parent / "build" / "screens"


@pytest.fixture
def signal(qtbot: QtBot, tmp_path: Path) -> Iterator[SettingsSignal]:
    cfg = tmp_path / "settings.toml"
    made = SettingsSignal(LiveSettings(Settings.load({}, config_file=cfg), cfg))
    yield made
    made.wait(10_000)
    made.deleteLater()


def test_a_change_is_announced_on_the_gui_thread_after_the_write(
    qtbot: QtBot, signal: SettingsSignal, tmp_path: Path
) -> None:
    threads: list[threading.Thread] = []
    signal.changed.connect(lambda _s: threads.append(threading.current_thread()))
    with qtbot.waitSignal(signal.changed) as blocker:
        signal.change(IMAGE_CACHE_TTL_HOURS=3)
    new = blocker.args[0]
    assert isinstance(new, Settings) and new.image_cache_ttl_hours == 3
    assert threads == [threading.main_thread()]
    assert Settings.load({}, config_file=tmp_path / "settings.toml").image_cache_ttl_hours == 3


def test_a_bad_value_is_refused_at_once_and_nothing_is_announced(
    qtbot: QtBot, signal: SettingsSignal, tmp_path: Path
) -> None:
    with qtbot.assertNotEmitted(signal.changed, wait=100), pytest.raises(SettingsError):
        signal.change(IMAGE_CACHE_MAX_MEMORY_MB=0)
    assert not (tmp_path / "settings.toml").exists()


def restart_settings(tmp_path: Path) -> Settings:
    """What the command line loads at start-up (STREAMIMAGES_CONFIG points at tmp_path)."""
    return Settings.load(library=tmp_path / "library", cache_dir=tmp_path / "cache")


def open_window(
    qtbot: QtBot, manager: StreamImageManager, settings: Settings, qsettings: QSettings
) -> MainWindow:
    """The window as ui/app/main.py builds it: a pixmap cache and LiveSettings from `settings`."""
    pixmaps = PixmapCache(settings.memory_limit_bytes, settings.ttl_seconds)
    window = MainWindow(
        manager,
        pixmaps,
        settings,
        qsettings=qsettings,
        live_settings=LiveSettings(settings, config_path()),
    )
    qtbot.addWidget(window)
    window.show()
    wait_settled(qtbot, window)
    window.cache_dock.raise_()
    qtbot.waitUntil(window.cache_pane.isVisible)
    return window


def close_window(window: MainWindow) -> None:
    window.shutdown()
    window.close()


def test_a_memory_limit_typed_in_the_cache_pane_survives_a_restart(
    qtbot: QtBot, manager: StreamImageManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "config" / "settings.toml"
    monkeypatch.setenv("STREAMIMAGES_CONFIG", str(cfg))
    qsettings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window = open_window(qtbot, manager, restart_settings(tmp_path), qsettings)
    pane = window.cache_pane
    spin = pane.limit_spin
    spec = SPECS["IMAGE_CACHE_MAX_MEMORY_MB"]
    assert (spin.minimum(), spin.maximum(), spin.suffix()) == (spec.low, spec.high, " MB")
    assert spec.help in spin.toolTip()
    assert pane._memory.limit_bytes == 500 * MIB

    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "250")
    assert window.settings_signal is not None
    with qtbot.waitSignal(window.settings_signal.changed):
        qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert pane._memory.limit_bytes == 250 * MIB
    assert pane.memory_bar.format().endswith("of 250 MB")
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.cache_dock.grab().save(str(SHOTS / "cache_pane_limit.png"))
    close_window(window)
    assert "IMAGE_CACHE_MAX_MEMORY_MB = 250\n" in cfg.read_text()

    settings = restart_settings(tmp_path)
    assert settings.image_cache_max_memory_mb == 250
    again = open_window(qtbot, manager, settings, qsettings)
    assert again.cache_pane._memory.limit_bytes == 250 * MIB
    assert again.cache_pane.limit_spin.value() == 250.0
    close_window(again)


def _set_limit(pane: CachePane) -> None:
    pane.limit_spin.setValue(100.0)


def _choose_arc(pane: CachePane) -> None:
    pane.policy_combo.setCurrentIndex(pane.policy_combo.findData("arc"))


@pytest.mark.parametrize(("what", "change"), [("limit", _set_limit), ("policy", _choose_arc)])
def test_a_change_that_cannot_be_saved_says_so_and_what_is_in_force_stays(
    qtbot: QtBot,
    manager: StreamImageManager,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    what: str,
    change: Callable[[CachePane], None],
) -> None:
    (tmp_path / "blocked").write_text("")  # a file where the config folder should be
    cfg = tmp_path / "blocked" / "settings.toml"  # so the write fails
    monkeypatch.setenv("STREAMIMAGES_CONFIG", str(cfg))
    qsettings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window = open_window(qtbot, manager, restart_settings(tmp_path), qsettings)
    pane = window.cache_pane
    assert window.settings_signal is not None
    with qtbot.waitSignal(window.settings_signal.failed):
        change(pane)
    assert pane.memory_status.isVisible()
    assert pane.memory_status.text().startswith(f"The {what} was not saved: cannot write {cfg}:")
    assert pane._memory.limit_bytes == 500 * MIB
    assert pane.limit_spin.value() == 500.0
    assert pane._memory.policy == "seed" == pane.policy_combo.currentData()
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.cache_dock.grab().save(str(SHOTS / f"cache_pane_{what}_save_failed.png"))
    close_window(window)


def test_a_policy_chosen_in_the_cache_pane_survives_a_restart(
    qtbot: QtBot, manager: StreamImageManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "config" / "settings.toml"
    monkeypatch.setenv("STREAMIMAGES_CONFIG", str(cfg))
    qsettings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window = open_window(qtbot, manager, restart_settings(tmp_path), qsettings)
    combo = window.cache_pane.policy_combo
    assert window.cache_pane._memory.policy == "seed" == combo.currentData()
    assert window.settings_signal is not None
    with qtbot.waitSignal(window.settings_signal.changed):
        combo.setCurrentIndex(combo.findData("sieve"))
    assert window.cache_pane._memory.policy == "sieve"
    close_window(window)
    assert 'IMAGE_CACHE_POLICY = "sieve"\n' in cfg.read_text()

    settings = restart_settings(tmp_path)
    assert settings.image_cache_policy == "sieve"
    again = open_window(qtbot, manager, settings, qsettings)
    assert again.cache_pane._memory.policy == "sieve"
    assert again.cache_pane.policy_combo.currentData() == "sieve"
    close_window(again)
