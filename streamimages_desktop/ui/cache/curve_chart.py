"""Miss-ratio curves on QtCharts: size on a log axis, Belady dashed, the live limit marked."""

from __future__ import annotations

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QLogValueAxis, QValueAxis
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from streamimages_desktop.core.workbench.points import Point
from streamimages_desktop.core.workbench.policies import LABELS

MIB = 1024 * 1024
LIMIT_COLOR = QColor("#c0392b")


class CurveChart(QChartView):
    """One line per policy: miss ratio (%) against cache size (MB, log scale).

    Attributes:
        size_axis: the QLogValueAxis of sizes in MB; ratio_axis: miss ratio 0..100 %.
        series: the line of each policy by name ("belady" is the dashed bound).
        limit_series: the vertical marker at the live cache's limit (hidden when unknown).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        super().__init__(chart, parent)
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.setBackgroundRoundness(0)
        chart.setMargins(QMargins(6, 4, 6, 2))
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.size_axis = QLogValueAxis()
        self.size_axis.setBase(10)
        self.size_axis.setLabelFormat("%g")
        self.size_axis.setTitleText("Cache size (MB)")
        self.size_axis.setMinorTickCount(8)
        self.ratio_axis = QValueAxis()
        self.ratio_axis.setRange(0, 100)
        self.ratio_axis.setLabelFormat("%d %%")
        self.ratio_axis.setTitleText("Miss ratio")
        chart.addAxis(self.size_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.ratio_axis, Qt.AlignmentFlag.AlignLeft)
        self.series: dict[str, QLineSeries] = {}
        self.limit_series = QLineSeries()
        self.limit_series.setName("Live limit")
        self.limit_series.setPen(QPen(LIMIT_COLOR, 1.5, Qt.PenStyle.DotLine))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(300)  # below that QtCharts drops the legend
        self.setAccessibleName("Miss-ratio curves")
        self._limit: int | None = None

    def show_curves(self, curves: dict[str, list[Point]], limit_bytes: int | None) -> None:
        """Replace every line; `limit_bytes` marks the live cache's current limit."""
        chart = self.chart()
        for series in [*self.series.values(), self.limit_series]:
            if series in chart.series():
                chart.removeSeries(series)
        self.series = {}
        low, high = float("inf"), 0.0
        for name, points in curves.items():
            series = QLineSeries()
            series.setName(LABELS.get(name, "Belady (bound)" if name == "belady" else name))
            for point in points:
                x = max(point.size_bytes / MIB, 1e-6)
                series.append(QPointF(x, 100.0 * (1.0 - point.hit_ratio)))
                low, high = min(low, x), max(high, x)
            if name == "belady":
                series.setPen(QPen(QColor("#555555"), 2, Qt.PenStyle.DashLine))
            chart.addSeries(series)
            series.attachAxis(self.size_axis)
            series.attachAxis(self.ratio_axis)
            self.series[name] = series
        self._limit = limit_bytes
        if limit_bytes and curves:
            x = limit_bytes / MIB
            low, high = min(low, x), max(high, x)
            self.limit_series.clear()
            self.limit_series.append(QPointF(x, 0))
            self.limit_series.append(QPointF(x, 100))
            self.limit_series.setName(f"Live limit ({x:g} MB)")
            chart.addSeries(self.limit_series)
            self.limit_series.attachAxis(self.size_axis)
            self.limit_series.attachAxis(self.ratio_axis)
        if high > 0:
            self.size_axis.setRange(low / 1.2, high * 1.2)
