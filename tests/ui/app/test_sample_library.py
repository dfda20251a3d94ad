"""The sample images ship with the package and stay small."""

from __future__ import annotations

import pytest

from streamimages_desktop.ui.app.sample_library import SAMPLES, sample_paths

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def test_sample_files_exist_and_are_small() -> None:
    paths = sample_paths()
    assert len(paths) == len(SAMPLES) >= 6
    assert all(p.stat().st_size < 60 * 1024 for p in paths)
