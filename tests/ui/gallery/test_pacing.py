"""GcPacer: no full collection while the grid is busy; collected and frozen when idle."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from streamimages_desktop.ui.gallery import pacing
from streamimages_desktop.ui.gallery.pacing import GcPacer


@pytest.fixture
def pacer(qtbot: QtBot) -> Iterator[GcPacer]:
    before = gc.get_threshold()
    made = GcPacer()
    yield made
    made.idle()
    gc.unfreeze()
    gc.set_threshold(*before)


def test_busy_holds_off_full_collections_until_idle(qtbot: QtBot, pacer: GcPacer) -> None:
    normal = gc.get_threshold()
    full: list[int] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    gc.callbacks.append(on_gc)
    try:
        pacer.busy()
        assert gc.get_threshold()[2] > 10_000 and gc.get_threshold()[:2] == normal[:2]
        junk = [[[] for _ in range(50)] for _ in range(20_000)]  # many young collections
        del junk
        assert not full  # the full pass waited
        qtbot.waitUntil(lambda: gc.get_threshold() == normal, timeout=pacing.IDLE_MS * 5)
        assert gc.get_freeze_count() > 0  # what survived is frozen: later passes skip it
    finally:
        gc.callbacks.remove(on_gc)


def test_a_new_result_gets_one_full_collection_at_idle(qtbot: QtBot, pacer: GcPacer) -> None:
    full: list[int] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    gc.callbacks.append(on_gc)
    try:
        pacer.loaded()
        assert not full
        qtbot.waitUntil(lambda: bool(full), timeout=pacing.IDLE_MS * 5)
    finally:
        gc.callbacks.remove(on_gc)


def test_workers_hand_the_gil_back_quickly(pacer: GcPacer) -> None:
    assert sys.getswitchinterval() <= pacing.SWITCH_INTERVAL_S
