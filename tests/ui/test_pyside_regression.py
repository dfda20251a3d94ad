"""PySide6 6.12.0 aborts CPython 3.11 after ~5,000 void Qt calls (none_dealloc): guard upgrades."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CALLS = 20_000


def test_twenty_thousand_draw_pixmap_calls_do_not_abort_the_interpreter() -> None:
    # A subprocess, so a "Fatal Python error" abort fails this test instead of killing the run.
    code = textwrap.dedent(
        f"""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtGui import QGuiApplication, QImage, QPainter, QPixmap
        app = QGuiApplication([])
        target = QImage(64, 64, QImage.Format.Format_ARGB32_Premultiplied)
        tile = QPixmap(8, 8)
        painter = QPainter(target)
        refs = sys.getrefcount(None)
        for i in range({CALLS}):
            painter.drawPixmap(i % 56, (i // 56) % 56, tile)
        painter.end()
        print("calls", {CALLS}, "none_refs_delta", sys.getrefcount(None) - refs)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"calls {CALLS}" in result.stdout
    # None is immortal on 3.12+, so the count only means something on 3.11.
    delta = int(result.stdout.split("none_refs_delta")[1])
    if sys.version_info < (3, 12):
        assert delta > -1000, f"PySide6 drops references to None: delta {delta}"
