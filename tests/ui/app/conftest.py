"""ui/app fixtures: the window factory, and run_gui's QSettings kept inside each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

from tests.ui import window_fixtures

# Fixtures shared by the window tests.
make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings
window = window_fixtures.window


@pytest.fixture(autouse=True)
def _app_settings_in_tmp(tmp_path: Path) -> Iterator[None]:
    """run_gui's QSettings and the application names it sets stay inside this test."""
    names = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qs"))
    yield
    QCoreApplication.setOrganizationName(names[0])
    QCoreApplication.setApplicationName(names[1])
