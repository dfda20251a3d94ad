"""A rolling QtCharts line chart of memory-cache use and hit ratio over the last minute or so."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QEvent, QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

from streamimages_desktop.core.units import MIB, format_bytes

MEMORY_COLOR = QColor("#2f7fd8")
RATIO_COLOR = QColor("#e0802c")


class Sample(NamedTuple):
    """One poll of the memory cache; hit_ratio is None before the first get."""

    time: float
    usage_bytes: int
    limit_bytes: int
    hit_ratio: float | None


class CacheChart(QChartView):
    """Memory use (MB, left axis, 0..limit) and hit ratio (%, right axis) against seconds ago.

    Keeps the last `max_samples` samples; x is "seconds before the newest sample", so the
    newest point sits at 0 and the chart scrolls left as samples arrive.

    Attributes:
        memory_series: memory use in MB per sample.
        ratio_series: hit ratio in percent per sample (no point while there were no gets).
        memory_axis, ratio_axis, time_axis: the three value axes.
    """

    def __init__(
        self, max_samples: int = 120, span_seconds: float = 60.0, parent: QWidget | None = None
    ) -> None:
        chart = QChart()
        super().__init__(chart, parent)
        self._samples: deque[Sample] = deque(maxlen=max_samples)
        self._span = span_seconds
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.setBackgroundRoundness(0)
        chart.setMargins(QMargins(10, 4, 6, 2))  # room for the "-60 s" label
        chart.layout().setContentsMargins(0, 0, 0, 0)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)

        self.memory_series = QLineSeries()
        self.memory_series.setName("Memory (MB)")
        self.ratio_series = QLineSeries()
        self.ratio_series.setName("Hit ratio (%)")
        self.time_axis = QValueAxis()
        self.memory_axis = QValueAxis()
        self.ratio_axis = QValueAxis()
        self.time_axis.setLabelFormat("%d s")
        self.time_axis.setTickCount(4)
        self.memory_axis.setTickCount(5)
        self.ratio_axis.setRange(0, 100)
        self.ratio_axis.setTickCount(5)
        self.ratio_axis.setLabelFormat("%d%%")
        for series in (self.memory_series, self.ratio_series):
            chart.addSeries(series)
        chart.addAxis(self.time_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.memory_axis, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(self.ratio_axis, Qt.AlignmentFlag.AlignRight)
        for series, axis in (
            (self.memory_series, self.memory_axis),
            (self.ratio_series, self.ratio_axis),
        ):
            series.attachAxis(self.time_axis)
            series.attachAxis(axis)
        self._apply_look()
        self._set_limit_axis(MIB)
        self.time_axis.setRange(-self._span, 0)

        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(180)
        self.setAccessibleName("Memory use and hit ratio over time")
        self.setAccessibleDescription("No samples yet")

    @property
    def samples(self) -> list[Sample]:
        """The samples on the chart, oldest first."""
        return list(self._samples)

    def add_sample(
        self, time: float, usage_bytes: int, limit_bytes: int, hit_ratio: float | None
    ) -> None:
        """Append one poll and redraw; drops samples older than the window."""
        self._samples.append(Sample(time, usage_bytes, limit_bytes, hit_ratio))
        while self._samples and time - self._samples[0].time > self._span:
            self._samples.popleft()
        self._redraw()

    def _redraw(self) -> None:
        if not self._samples:
            self.memory_series.clear()
            self.ratio_series.clear()
            self.setAccessibleDescription("No samples yet")
            return
        newest = self._samples[-1]
        self.memory_series.replace(
            [QPointF(s.time - newest.time, s.usage_bytes / MIB) for s in self._samples]
        )
        self.ratio_series.replace(
            [
                QPointF(s.time - newest.time, s.hit_ratio * 100)
                for s in self._samples
                if s.hit_ratio is not None
            ]
        )
        self._set_limit_axis(newest.limit_bytes)  # a new limit rescales at once
        ratio = "no gets yet" if newest.hit_ratio is None else f"{newest.hit_ratio:.0%}"
        self.setAccessibleDescription(
            f"Memory {format_bytes(newest.usage_bytes)} of {format_bytes(newest.limit_bytes)}, "
            f"hit ratio {ratio}"
        )

    def _set_limit_axis(self, limit_bytes: int) -> None:
        """Memory axis from 0 to the limit in force: the line shows use against the limit (use
        from before a lower limit runs off the top until it scrolls out)."""
        top = max(limit_bytes / MIB, 0.1)
        self.memory_axis.setRange(0, top)
        self.memory_axis.setLabelFormat("%.0f" if top >= 10 else "%.1f")

    def _apply_look(self) -> None:
        """Follow the widget palette (light or dark) and keep fonts small enough for a dock."""
        chart = self.chart()
        dark = self.palette().window().color().lightness() < 128
        chart.setTheme(
            QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight
        )
        chart.setBackgroundBrush(self.palette().base())
        text = self.palette().text().color()
        grid = self.palette().mid().color()
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() - 1, 7))
        for axis in (self.time_axis, self.memory_axis, self.ratio_axis):
            axis.setLabelsFont(font)
            axis.setLabelsColor(text)
            axis.setGridLineColor(grid)
            axis.setMinorGridLineVisible(False)
        self.ratio_axis.setGridLineVisible(False)
        chart.legend().setFont(font)
        chart.legend().setLabelColor(text)
        self.memory_series.setPen(QPen(MEMORY_COLOR, 2))
        self.ratio_series.setPen(QPen(RATIO_COLOR, 2))

    def changeEvent(self, event: QEvent) -> None:
        """Re-theme when the palette changes (system dark mode switch)."""
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_look()
        super().changeEvent(event)
