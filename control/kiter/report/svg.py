"""Charts as plain SVG text: a bar a iteration, or points over time; axes, ticks, markers.

No script and no library: a browser draws the SVG as it is, offline, and a `<title>` in each mark
is its tooltip. Each iteration is one `<g class="mark">` carrying its number, state, attempts and
value as data-* attributes, so what is drawn can be checked against the ledger. This room knows
nothing of the ledger or of kiter's jobs: it draws the marks it is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

WIDTH, HEIGHT = 1100, 230
LEFT, RIGHT, TOP, BOTTOM = 78, 18, 18, 46

# One colour per state, the same in every chart and in the legend; failures stand out in red.
COLOURS = {
    "SUCCEEDED": "#2f6db5",
    "FAILED": "#d62728",
    "RUNNING": "#8a8a8a",
    "CLAIMED": "#8a8a8a",
    "STAGED": "#8e5fc2",
}
RETRIED = "#f08c00"  # more than one attempt
LINE = "#9bb7d9"


@dataclass(frozen=True)
class Mark:
    """One iteration in a chart: x is its number (bars) or a time in epoch seconds (points)."""

    iteration: int
    x: float
    value: float | None
    state: str
    attempts: int
    title: str


@dataclass(frozen=True)
class Axis:
    """How a value axis is labelled: its title, how a value reads, and where ticks go."""

    label: str
    fmt: Callable[[float], str]
    ticks: Callable[[float], list[float]]


def number_ticks(top: float, most: int = 5) -> list[float]:
    """0 up to at least `top` in steps of 1, 2 or 5 times a power of ten."""
    top = max(top, 1.0)
    raw = top / most
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


# Steps a clock face has: seconds, minutes, hours, days.
_TIME_STEPS: tuple[int, ...] = (
    *(1, 2, 5, 10, 15, 30),
    *(60, 120, 300, 600, 900, 1800),
    *(3600, 7200, 10800, 21600, 43200),
    *(86400, 172800, 604800, 2592000),
)


def duration_ticks(top: float, most: int = 5) -> list[float]:
    """0 up to at least `top` seconds in steps a clock has (15s, 5m, 1h, ...)."""
    top = max(top, 1.0)
    step = next((s for s in _TIME_STEPS if s * most >= top), _TIME_STEPS[-1])
    return [float(i * step) for i in range(math.ceil(top / step - 1e-9) + 1)]


def count(value: float) -> str:
    """12, 950, 1.2k, 3.4M: short enough for an axis."""
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}".removesuffix(".0") + unit
    return f"{value:g}"


def clock(seconds: float) -> str:
    """0s, 45s, 5m, 1m30s, 2h, 1h30m, 1d: an axis label on a clock step, its two largest units."""
    left = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    return "".join(parts[:2]) or "0s"


def plain(value: float) -> str:
    """A value as data-* holds it: whole numbers exactly, others to the millisecond."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0")


def bar_chart(chart: str, marks: list[Mark], y: Axis, x_label: str) -> str:
    """A bar per iteration number, failures red, more than one attempt marked above the bar."""
    first = min(m.iteration for m in marks)
    slots = max(m.iteration for m in marks) - first + 1
    slot = (WIDTH - LEFT - RIGHT) / slots
    # A tenth of headroom: the attempts marker above the tallest bar stays inside the chart.
    ticks = y.ticks(max((m.value or 0.0) for m in marks) * 1.1)
    scale = _scale(ticks[-1])
    parts = [_frame(chart, y, ticks), _x_title(x_label)]
    for tick in _number_steps(first, slots):
        centre = LEFT + (tick - first + 0.5) * slot
        parts.append(_x_tick(centre, str(tick)))
    for m in marks:
        left = LEFT + (m.iteration - first) * slot + slot * 0.1
        width = max(slot * 0.8, 1.0)
        centre = left + width / 2
        body = [_title(m)]
        top = _base()
        if m.value is None:
            body.append(_missing(centre, m.state))
        else:
            top = scale(m.value)
            colour = COLOURS.get(m.state, COLOURS["RUNNING"])
            height = max(_base() - top, 1.0 if m.value > 0 else 0.0)
            body.append(
                f'<rect x="{left:.2f}" y="{_base() - height:.2f}" width="{width:.2f}" '
                f'height="{height:.2f}" fill="{colour}"/>'
            )
        if m.attempts > 1:
            body.append(_retried(centre, min(top, _base() - 8) - 8, m.attempts, slot >= 14))
        parts.append(_group(m, body))
    return _svg(chart, parts)


def time_chart(chart: str, marks: list[Mark], y: Axis, x_label: str) -> str:
    """Points over time joined by a line; failures red, more than one attempt ringed."""
    shown = sorted((m for m in marks if m.value is not None), key=lambda m: m.x)
    lo, hi = shown[0].x, shown[-1].x
    if hi - lo < 60:  # one point, or a burst: a minute either side keeps it off the axes
        lo, hi = lo - 60, hi + 60
    ticks = y.ticks(max(m.value or 0.0 for m in shown))
    scale = _scale(ticks[-1])

    def at(t: float) -> float:
        return LEFT + 8 + (t - lo) / (hi - lo) * (WIDTH - LEFT - RIGHT - 16)

    parts = [_frame(chart, y, ticks), _x_title(x_label)]
    for tick, label in _time_steps(lo, hi):
        parts.append(_x_tick(at(tick), label))
    line = " ".join(f"{at(m.x):.2f},{scale(m.value or 0.0):.2f}" for m in shown)
    parts.append(f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="1.5"/>')
    for m in shown:
        x, yy = at(m.x), scale(m.value or 0.0)
        ring = f' stroke="{RETRIED}" stroke-width="2.5"' if m.attempts > 1 else ""
        colour = COLOURS.get(m.state, COLOURS["RUNNING"])
        dot = f'<circle cx="{x:.2f}" cy="{yy:.2f}" r="4" fill="{colour}"{ring}/>'
        parts.append(_group(m, [_title(m), dot]))
    return _svg(chart, parts)


def _base() -> float:
    return HEIGHT - BOTTOM


def _scale(top: float) -> Callable[[float], float]:
    span = HEIGHT - TOP - BOTTOM
    return lambda v: _base() - (v / top) * span if top else _base()


def _frame(chart: str, y: Axis, ticks: list[float]) -> str:
    """Grid lines and labels of the value axis, its title, and the two axis lines."""
    scale = _scale(ticks[-1])
    out = []
    for tick in ticks:
        yy = scale(tick)
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy:.2f}" y2="{yy:.2f}" class="grid"/>'
            f'<text x="{LEFT - 8}" y="{yy + 4:.2f}" text-anchor="end">{escape(y.fmt(tick))}</text>'
        )
    middle = (TOP + _base()) / 2
    out.append(
        f'<text class="axis-title" transform="translate(16 {middle:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y.label)}</text>'
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{_base()}" class="axis"/>'
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_base()}" y2="{_base()}" class="axis"/>'
    )
    return "".join(out)


def _x_title(label: str) -> str:
    centre = (LEFT + WIDTH - RIGHT) / 2
    return (
        f'<text class="axis-title" x="{centre:.1f}" y="{HEIGHT - 6}" '
        f'text-anchor="middle">{escape(label)}</text>'
    )


def _x_tick(x: float, label: str) -> str:
    return (
        f'<line x1="{x:.2f}" x2="{x:.2f}" y1="{_base()}" y2="{_base() + 5}" class="axis"/>'
        f'<text x="{x:.2f}" y="{_base() + 18}" text-anchor="middle">{escape(label)}</text>'
    )


def _number_steps(first: int, slots: int, most: int = 12) -> list[int]:
    step = max(1, int(number_ticks(float(slots), most)[1]))
    return [n for n in range(first, first + slots) if n % step == 0]


def _time_steps(lo: float, hi: float, most: int = 8) -> list[tuple[float, str]]:
    step = next((s for s in _TIME_STEPS if s * most >= hi - lo), _TIME_STEPS[-1])
    fmt = "%H:%M:%S" if step < 60 else ("%H:%M" if hi - lo < 86400 else "%m-%d %H:%M")
    if step >= 86400:
        fmt = "%Y-%m-%d"
    start = math.ceil(lo / step) * step
    return [
        (t, datetime.fromtimestamp(t, tz=UTC).strftime(fmt))
        for t in (start + i * step for i in range(int((hi - start) // step) + 1))
    ]


def _missing(x: float, state: str) -> str:
    """No value: a red cross on the axis for a failure, a short dash for one not finished (a
    finished one without a value draws nothing: there is nothing to say)."""
    if state == "SUCCEEDED":
        return ""
    colour = COLOURS.get(state, COLOURS["RUNNING"])
    y = _base() - 5
    if state == "FAILED":
        return (
            f'<path d="M{x - 4:.2f},{y - 4:.2f} l8,8 m0,-8 l-8,8" stroke="{colour}" '
            'stroke-width="2"/>'
        )
    return f'<path d="M{x - 4:.2f},{y:.2f} h8" stroke="{colour}" stroke-width="2"/>'


def _retried(x: float, y: float, attempts: int, labelled: bool) -> str:
    label = (
        f'<text x="{x:.2f}" y="{y - 7:.2f}" text-anchor="middle" class="attempts">{attempts}</text>'
        if labelled
        else ""
    )
    return f'<circle cx="{x:.2f}" cy="{y:.2f}" r="3.5" fill="{RETRIED}"/>' + label


def _title(m: Mark) -> str:
    return f"<title>{escape(m.title)}</title>"


def _group(m: Mark, body: list[str]) -> str:
    value = "" if m.value is None else plain(m.value)
    return (
        f'<g class="mark" data-iteration="{m.iteration}" data-state="{escape(m.state)}" '
        f'data-attempts="{m.attempts}" data-value="{value}">{"".join(body)}</g>'
    )


def _svg(chart: str, parts: list[str]) -> str:
    return (
        f'<svg class="chart" data-chart="{escape(chart)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(chart)}">' + "".join(parts) + "</svg>"
    )
