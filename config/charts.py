"""Server-rendered SVG charts: geometry computed here, drawn by templates/partials/chart.html,
no JS library.

Charts are plain SVG so they obey the strict CSP, print, work without JavaScript and need
nothing from a CDN; each carries its data as a table (behind a disclosure) for screen readers.
Used by the staff dashboard and the usage pages.
"""

from dataclasses import dataclass, field

WIDTH = 640
HEIGHT = 220
PAD_LEFT = 44
PAD_RIGHT = 12
PAD_TOP = 12
PAD_BOTTOM = 28
# Readable on the light and the dark background alike.
PALETTE = ("#3b82f6", "#10b981", "#f59e0b")


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
    # The data table as shown: each value written out once here, not by a template filter
    # per cell (a 90-day dashboard has thousands of them).
    table: list[tuple[str, list[str]]] = field(default_factory=list)
    # The data table's column headings; grouped charts have one value column per series.
    label_heading: str = "Day"
    series: list[dict] = field(default_factory=lambda: [{"name": "Value", "color": PALETTE[0]}])

    @property
    def label_y(self) -> int:
        """The x-axis labels' baseline."""
        return self.height - 8


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
        {"y": _at(PAD_TOP + plot_h - plot_h * i / 4), "label": _fmt(top * i / 4)}
        for i in range(5)
    ]
    _set_rows(chart, rows)
    chart.empty = not any(value for _, value in rows)
    return top, plot_w, plot_h


def _set_rows(chart: Chart, rows: list[tuple]) -> None:
    chart.rows = rows
    chart.table = [(label, [_cell(value) for value in values]) for label, *values in rows]


def _at(coordinate: float) -> str:
    """An SVG coordinate, written once (numbers in templates are localized on every use)."""
    return f"{coordinate:.1f}"


def _cell(value: float) -> str:
    """A data-table value: whole numbers as they are, others to two decimals."""
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


# Room an x-axis label needs ("Dec 2026" at font size 10), in viewBox units.
LABEL_SPACE = 52


def _label_step(count: int, plot_w: float) -> int:
    """Label every n-th point so the labels never overlap (at most 8 of them)."""
    fits = max(1, min(8, int(plot_w // LABEL_SPACE)))
    return max(1, -(-count // fits))


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


def line_chart(title: str, rows: list[tuple[str, float]], **headings) -> Chart:
    chart = Chart(kind="line", title=title, **headings)
    top, plot_w, plot_h = _frame(chart, rows)
    n = max(len(rows) - 1, 1)
    coords = []
    for i, (label, value) in enumerate(rows):
        x = PAD_LEFT + plot_w * i / n
        y = PAD_TOP + plot_h - plot_h * value / top
        coords.append(f"{x:.1f},{y:.1f}")
        if i % _label_step(len(rows), plot_w) == 0:
            chart.x_labels.append({"x": _at(x), "label": label})
    chart.points = " ".join(coords)
    return chart


def bar_chart(title: str, rows: list[tuple[str, float]], **headings) -> Chart:
    chart = Chart(kind="bar", title=title, **headings)
    top, plot_w, plot_h = _frame(chart, rows)
    slot = plot_w / max(len(rows), 1)
    for i, (label, value) in enumerate(rows):
        height = plot_h * value / top
        x = PAD_LEFT + slot * i + slot * 0.15
        chart.bars.append({
            "x": _at(x),
            "y": _at(PAD_TOP + plot_h - height),
            "w": _at(slot * 0.7),
            "h": _at(height),
            "label": label,
            "value": _fmt(value),
            "color": PALETTE[0],
        })
        if i % _label_step(len(rows), plot_w) == 0:
            chart.x_labels.append({"x": _at(x + slot * 0.35), "label": label})
    return chart


def grouped_bar_chart(title: str, labels: list[str], series: dict[str, list[float]],
                      **headings) -> Chart:
    """Bars side by side per label, one colour per series (at most len(PALETTE) series); the
    data table has a column per series."""
    names = list(series)
    chart = Chart(kind="bar", title=title,
                  series=[{"name": name, "color": PALETTE[i]} for i, name in enumerate(names)],
                  **headings)
    top, plot_w, plot_h = _frame(chart, [(label, max((series[n][i] for n in names), default=0))
                                         for i, label in enumerate(labels)])
    _set_rows(chart, [(label, *(series[n][i] for n in names)) for i, label in enumerate(labels)])
    slot = plot_w / max(len(labels), 1)
    width = slot * 0.8 / max(len(names), 1)
    for i, label in enumerate(labels):
        for j, name in enumerate(names):
            value = series[name][i]
            height = plot_h * value / top
            chart.bars.append({
                "x": _at(PAD_LEFT + slot * i + slot * 0.1 + width * j),
                "y": _at(PAD_TOP + plot_h - height),
                "w": _at(width),
                "h": _at(height),
                "label": f"{label}, {name}",
                "value": _fmt(value),
                "color": PALETTE[j],
            })
        if i % _label_step(len(labels), plot_w) == 0:
            chart.x_labels.append({"x": _at(PAD_LEFT + slot * (i + 0.5)), "label": label})
    return chart
