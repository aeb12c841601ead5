"""Server-rendered SVG charts: geometry computed here, drawn by templates, no JS library.

Charts are plain SVG so they obey the strict CSP, print, and need nothing from a CDN.
"""

from dataclasses import dataclass, field

WIDTH = 640
HEIGHT = 220
PAD_LEFT = 44
PAD_RIGHT = 12
PAD_TOP = 12
PAD_BOTTOM = 28


@dataclass
class Chart:
    kind: str
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    points: str = ""
    bars: list[dict] = field(default_factory=list)
    y_ticks: list[dict] = field(default_factory=list)
    x_labels: list[dict] = field(default_factory=list)
    empty: bool = True
    rows: list[tuple[str, float]] = field(default_factory=list)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _frame(chart: Chart, rows: list[tuple[str, float]]) -> tuple[float, float, float]:
    top = _nice_max(max((value for _, value in rows), default=0))
    plot_w = chart.width - PAD_LEFT - PAD_RIGHT
    plot_h = chart.height - PAD_TOP - PAD_BOTTOM
    chart.y_ticks = [
        {"y": round(PAD_TOP + plot_h - plot_h * i / 4, 1), "label": _fmt(top * i / 4)}
        for i in range(5)
    ]
    chart.rows = rows
    chart.empty = not any(value for _, value in rows)
    return top, plot_w, plot_h


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


def line_chart(title: str, rows: list[tuple[str, float]]) -> Chart:
    chart = Chart(kind="line", title=title)
    top, plot_w, plot_h = _frame(chart, rows)
    n = max(len(rows) - 1, 1)
    coords = []
    for i, (label, value) in enumerate(rows):
        x = PAD_LEFT + plot_w * i / n
        y = PAD_TOP + plot_h - plot_h * value / top
        coords.append(f"{x:.1f},{y:.1f}")
        if i % max(1, len(rows) // 8) == 0:
            chart.x_labels.append({"x": round(x, 1), "label": label})
    chart.points = " ".join(coords)
    return chart


def bar_chart(title: str, rows: list[tuple[str, float]]) -> Chart:
    chart = Chart(kind="bar", title=title)
    top, plot_w, plot_h = _frame(chart, rows)
    slot = plot_w / max(len(rows), 1)
    for i, (label, value) in enumerate(rows):
        height = plot_h * value / top
        x = PAD_LEFT + slot * i + slot * 0.15
        chart.bars.append({
            "x": round(x, 1),
            "y": round(PAD_TOP + plot_h - height, 1),
            "w": round(slot * 0.7, 1),
            "h": round(height, 1),
            "label": label,
            "value": _fmt(value),
        })
        if i % max(1, len(rows) // 8) == 0:
            chart.x_labels.append({"x": round(x + slot * 0.35, 1), "label": label})
    return chart
