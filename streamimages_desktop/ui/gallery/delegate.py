"""GalleryDelegate: paints one tile — thumbnail, elided title and a drawn visibility badge."""

from __future__ import annotations

import math
from collections import OrderedDict

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from streamimages_desktop.core.labels import VISIBILITY_BADGES
from streamimages_desktop.core.models import StreamImage, Visibility
from streamimages_desktop.ui.gallery.roles import TileRole, VisibilityRole

MIN_TILE = 64
MAX_TILE = 320
DEFAULT_TILE = 160
PADDING = 8
BADGE = 22  # diameter of the badge disc, in logical pixels
TITLE_CACHE = 4096  # elided titles kept laid out (a few screens' worth, many times over)
SCALED_CACHE = 160  # pictures kept scaled to their tile: about four screens (~12 MB at 160 px)
TILE_CACHE = 200  # tiles painted once, remembered (a second paint composes the tile)
TILE_BYTES = 32 * 1024 * 1024  # whole tiles kept composed: ~5 screens at 1x, ~1 at 2x

Index = QModelIndex | QPersistentModelIndex
_MARKED = (
    QStyle.StateFlag.State_Selected
    | QStyle.StateFlag.State_MouseOver
    | QStyle.StateFlag.State_HasFocus
)


def star_polygon(center: QPointF, outer: float, inner: float) -> QPolygonF:
    """A five-pointed star, point up."""
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append(
            QPointF(center.x() + radius * math.cos(angle), center.y() + radius * math.sin(angle))
        )
    return QPolygonF(points)


def lock_path(rect: QRectF) -> QPainterPath:
    """A padlock filling `rect`: a rounded body and a shackle (outline only, stroked later)."""
    w, h = rect.width(), rect.height()
    body = QRectF(rect.left(), rect.top() + h * 0.45, w, h * 0.55)
    path = QPainterPath()
    path.addRoundedRect(body, w * 0.12, w * 0.12)
    # Keyhole: a small hole in the body (odd-even fill leaves it transparent).
    path.addEllipse(QPointF(body.center().x(), body.center().y() - h * 0.03), w * 0.09, w * 0.09)
    return path


def shackle_path(rect: QRectF) -> QPainterPath:
    """The padlock's loop: an arch above the body."""
    w, h = rect.width(), rect.height()
    path = QPainterPath(QPointF(rect.left() + w * 0.2, rect.top() + h * 0.47))
    path.lineTo(rect.left() + w * 0.2, rect.top() + h * 0.3)
    path.arcTo(QRectF(rect.left() + w * 0.2, rect.top(), w * 0.6, h * 0.6), 180, -180)
    path.lineTo(rect.left() + w * 0.8, rect.top() + h * 0.47)
    return path


class GalleryDelegate(QStyledItemDelegate):
    """Paints a tile: the thumbnail fitted and centred, the title elided, a visibility badge.

    Palette colours are read once here, not on every paint. The badge is drawn with paths
    (a padlock for private, a star for subscribers-only); public images have none.

    Attributes:
        tile_size: the width of the 4:3 thumbnail area, in logical pixels.
    """

    def __init__(self, parent: QWidget | None = None, tile_size: int = DEFAULT_TILE) -> None:
        super().__init__(parent)
        self.tile_size = max(MIN_TILE, min(MAX_TILE, tile_size))
        palette = parent.palette() if parent is not None else QPalette()
        self._text = palette.color(QPalette.ColorRole.Text)
        self._highlight = palette.color(QPalette.ColorRole.Highlight)
        self._hover = QColor(self._highlight)
        self._hover.setAlpha(40)
        self._frame = palette.color(QPalette.ColorRole.Mid)
        self._base = palette.color(QPalette.ColorRole.Base)  # what the viewport is filled with
        self._private_colour = QColor(196, 52, 52)
        self._subscribers_colour = QColor(214, 150, 20)
        self._badge_ink = QColor(255, 255, 255)
        # Paint is per tile per frame: the elided title and the badge are made once each.
        self._titles: OrderedDict[tuple[str, int], QStaticText] = OrderedDict()
        self._badges: dict[tuple[str, float], QPixmap] = {}
        self._scaled: OrderedDict[tuple[int, int, int, float], QPixmap] = OrderedDict()
        # A tile scrolls through several frames and a screen repaints whole (the paint event's
        # bounding rect): picture, badge and title are composed once into one pixmap, so a
        # repaint is one blit instead of some twenty Qt calls, each retaking the GIL.
        self._tiles: OrderedDict[tuple[object, ...], QPixmap] = OrderedDict()
        self._once: OrderedDict[tuple[object, ...], None] = OrderedDict()  # painted once
        self._tile_bytes = 0

    def set_tile_size(self, px: int) -> None:
        self.tile_size = max(MIN_TILE, min(MAX_TILE, px))
        self._titles.clear()
        self._tiles.clear()
        self._tile_bytes = 0
        self._once.clear()

    @property
    def picture_height(self) -> int:
        """The thumbnail box is 4:3: stream art is mostly landscape, so a square box would
        leave a band of empty space between most pictures and their titles."""
        return round(self.tile_size * 3 / 4)

    def cell_size(self, metrics: QFontMetrics) -> QSize:
        """The grid cell for the current tile size: thumbnail, one line of title, padding."""
        return QSize(
            self.tile_size + 2 * PADDING, self.picture_height + metrics.height() + 3 * PADDING
        )

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return self.cell_size(option.fontMetrics)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        tile = index.data(TileRole)  # the gallery model's: everything in one call
        if isinstance(tile, tuple):
            self._paint_tile(painter, option, option.rect, *tile)
            return
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        image = index.data(Qt.ItemDataRole.UserRole)  # one call for title and visibility
        if isinstance(image, StreamImage):
            title, visibility = image.title, image.visibility
        else:  # a row whose page has not arrived: no title yet, its visibility is known
            title = index.data(Qt.ItemDataRole.DisplayRole) or ""
            visibility = index.data(VisibilityRole)
        self._paint_tile(painter, option, option.rect, pixmap, title, visibility)

    def _paint_tile(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        rect: QRect,
        pixmap: object,
        title: str,
        visibility: Visibility | None,
    ) -> None:
        state = option.state
        marked = bool(state & _MARKED)
        if not marked:
            device = painter.device()
            ratio = device.devicePixelRatioF() if device is not None else 1.0
            picture_key = pixmap.cacheKey() if isinstance(pixmap, QPixmap) else 0
            key = (picture_key, title, visibility, rect.width(), rect.height(), ratio)
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
                painter.drawPixmap(rect.topLeft(), tile)  # opaque, whole pixels: a plain copy
                return
            if key in self._once:  # its second paint: worth composing (a first screen is not)
                del self._once[key]
                tile = self._compose(option, rect, pixmap, title, visibility, ratio)
                self._tiles[key] = tile
                self._tile_bytes += tile.width() * tile.height() * 4
                while self._tile_bytes > TILE_BYTES and len(self._tiles) > 1:
                    _key, old = self._tiles.popitem(last=False)
                    self._tile_bytes -= old.width() * old.height() * 4
                painter.drawPixmap(rect.topLeft(), tile)
                return
            self._once[key] = None
            if len(self._once) > TILE_CACHE:
                self._once.popitem(last=False)
        selected = bool(state & QStyle.StateFlag.State_Selected)
        painter.save()
        cell = QRectF(rect).adjusted(1.5, 1.5, -1.5, -1.5)
        if marked:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)  # rounded frames only
        if selected:
            painter.setPen(QPen(self._highlight, 2))
            fill = QColor(self._highlight)
            fill.setAlpha(70)
            painter.setBrush(fill)
            painter.drawRoundedRect(cell, 6, 6)
        elif state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self._hover)
            painter.drawRoundedRect(cell, 6, 6)
        painter.save()
        painter.translate(rect.topLeft())
        self._draw_content(painter, option, rect.width(), pixmap, title, visibility)
        painter.restore()
        if state & QStyle.StateFlag.State_HasFocus and not selected:
            painter.setPen(QPen(self._frame, 1, Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(cell, 6, 6)
        painter.restore()

    def _compose(
        self,
        option: QStyleOptionViewItem,
        rect: QRect,
        pixmap: object,
        title: str,
        visibility: Visibility | None,
        ratio: float,
    ) -> QPixmap:
        """The tile's picture, badge and title on an opaque pixmap of the cell's size, filled
        like the viewport (an opaque pixmap is copied, not blended: half the cost)."""
        tile = QPixmap(max(1, round(rect.width() * ratio)), max(1, round(rect.height() * ratio)))
        tile.setDevicePixelRatio(ratio)
        tile.fill(self._base)
        painter = QPainter(tile)
        self._draw_content(painter, option, rect.width(), pixmap, title, visibility)
        painter.end()
        return tile

    def _draw_content(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        width: int,
        pixmap: object,
        title: str,
        visibility: Visibility | None,
    ) -> None:
        """Picture, badge and title of a tile whose top-left corner is at (0, 0)."""
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        area = QRect(PADDING, PADDING, self.tile_size, self.picture_height)
        picture = QRectF(area)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            picture = self._draw_fitted(painter, pixmap, area)
        if picture.width() < 2 * BADGE or picture.height() < 2 * BADGE:
            picture = QRectF(area)  # a sliver of a picture: badge the tile's corner instead

        # A StrEnum: its plain-str value finds it too.
        badge = VISIBILITY_BADGES.get(visibility) if visibility is not None else None
        if badge is not None:
            self._draw_badge(painter, picture, badge)

        metrics = option.fontMetrics
        text_rect = QRect(
            PADDING,
            area.bottom() + PADDING // 2,
            width - 2 * PADDING,
            metrics.height() + PADDING,
        )
        if title:
            text = self._title_text(title, text_rect.width(), option)
            size = text.size()
            painter.setFont(option.font)
            painter.setPen(self._text)
            painter.drawStaticText(
                QPointF(
                    text_rect.left() + (text_rect.width() - size.width()) / 2,
                    text_rect.top() + (text_rect.height() - size.height()) / 2,
                ),
                text,
            )

    def _title_text(self, title: str, width: int, option: QStyleOptionViewItem) -> QStaticText:
        """The title elided to `width` and laid out once (kept for the next paints)."""
        key = (title, width)
        text = self._titles.get(key)
        if text is None:
            elided = option.fontMetrics.elidedText(title, Qt.TextElideMode.ElideRight, width)
            text = QStaticText(elided)
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.prepare(QTransform(), option.font)
            self._titles[key] = text
            if len(self._titles) > TITLE_CACHE:
                self._titles.popitem(last=False)
        else:
            self._titles.move_to_end(key)
        return text

    def _draw_badge(self, painter: QPainter, picture: QRectF, badge: str) -> None:
        """The badge in the picture's top-right corner, from a pixmap drawn once."""
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        key = (badge, ratio)
        pixmap = self._badges.get(key)
        if pixmap is None:
            side = BADGE + 4
            pixmap = QPixmap(round(side * ratio), round(side * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            inner = QPainter(pixmap)
            inner.setRenderHint(QPainter.RenderHint.Antialiasing)
            spot = QRectF(BADGE + 6, -2, 0, 0)  # so the disc lands at (2, 2) inside the pixmap
            if badge == "padlock":
                self._draw_lock(inner, spot)
            else:
                self._draw_star(inner, spot)
            inner.end()
            self._badges[key] = pixmap
        corner = QPoint(round(picture.right()) - BADGE - 6, round(picture.top()) + 2)
        painter.drawPixmap(corner, pixmap)  # whole pixels: a plain copy, no filtering

    def _draw_fitted(self, painter: QPainter, pixmap: QPixmap, area: QRect) -> QRectF:
        """Scale into `area` keeping the aspect ratio, centred; returns where it was drawn.

        The scaled picture is kept for the next paints (a tile is painted on several frames
        while it scrolls through), and it is drawn 1:1 at whole pixels: no per-paint filter.
        """
        ratio = pixmap.devicePixelRatio() or 1.0
        width, height = pixmap.width() / ratio, pixmap.height() / ratio
        if width <= 0 or height <= 0:
            return QRectF(area)
        scale = min(area.width() / width, area.height() / height)
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
        key = (pixmap.cacheKey(), w, h, ratio)
        scaled = self._scaled.get(key)
        if scaled is None:
            scaled = pixmap.scaled(
                round(w * ratio),
                round(h * ratio),
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            scaled.setDevicePixelRatio(ratio)
            self._scaled[key] = scaled
            if len(self._scaled) > SCALED_CACHE:
                self._scaled.popitem(last=False)
        else:
            self._scaled.move_to_end(key)
        left = area.left() + (area.width() - w) // 2
        top = area.top() + (area.height() - h) // 2
        painter.drawPixmap(QPoint(left, top), scaled)
        return QRectF(left, top, w, h)

    def _badge_disc(self, painter: QPainter, picture: QRectF, colour: QColor) -> QRectF:
        """Draw the badge background inside the picture's top-right corner; returns its rect."""
        disc = QRectF(picture.right() - BADGE - 4, picture.top() + 4, BADGE, BADGE)
        painter.setPen(QPen(QColor(255, 255, 255, 220), 1.5))
        painter.setBrush(colour)
        painter.drawEllipse(disc)
        return disc

    def _draw_lock(self, painter: QPainter, picture: QRectF) -> None:
        disc = self._badge_disc(painter, picture, self._private_colour)
        glyph = disc.adjusted(BADGE * 0.27, BADGE * 0.2, -BADGE * 0.27, -BADGE * 0.22)
        pen = QPen(self._badge_ink, 1.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(shackle_path(glyph))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._badge_ink)
        body = lock_path(glyph)
        body.setFillRule(Qt.FillRule.OddEvenFill)
        painter.drawPath(body)

    def _draw_star(self, painter: QPainter, picture: QRectF) -> None:
        disc = self._badge_disc(painter, picture, self._subscribers_colour)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._badge_ink)
        painter.drawPolygon(star_polygon(disc.center(), BADGE * 0.36, BADGE * 0.15))
