"""The application icon, drawn with QPainter (no image file to ship or lose)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QLinearGradient, QPainter, QPainterPath, QPixmap


def app_icon() -> QIcon:
    """A purple-to-teal tile with a picture glyph and a red live dot."""
    pixmap = QPixmap(256, 256)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    gradient = QLinearGradient(0, 0, 256, 256)
    gradient.setColorAt(0, QColor("#7c4dff"))
    gradient.setColorAt(1, QColor("#00bfa5"))
    p.setBrush(gradient)
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(QRectF(8, 8, 240, 240), 52, 52)
    p.setBrush(QColor(255, 255, 255, 235))
    p.drawRoundedRect(QRectF(48, 64, 160, 128), 18, 18)
    hills = QPainterPath(QPointF(60, 180))
    for x, y in ((100, 122), (130, 152), (160, 110), (196, 180)):
        hills.lineTo(x, y)
    hills.closeSubpath()
    p.setBrush(QColor("#5e35b1"))
    p.drawPath(hills)
    p.setBrush(QColor("#ffca28"))
    p.drawEllipse(QPointF(88, 98), 14, 14)
    p.setBrush(QColor("#e53935"))
    p.drawEllipse(QPointF(196, 60), 26, 26)
    p.end()
    return QIcon(pixmap)
