"""The report as one HTML page: per job, what it is, a legend, its charts, its failures.

Everything is inline (style and SVG; no script, no font, no image, no link), so the file opens
offline and can be mailed or attached to a ticket. Each chart says in words what it shows and
where its numbers come from; a chart the ledger has no numbers for is a sentence saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from kiter.durations import format_duration
from kiter.metastore.records import iso
from kiter.report.series import IterationPoint, JobSeries
from kiter.report.svg import (
    COLOURS,
    RETRIED,
    Axis,
    Mark,
    bar_chart,
    clock,
    count,
    duration_ticks,
    number_ticks,
    time_chart,
)

FAILURES_SHOWN = 20


@dataclass(frozen=True)
class Chart:
    """One chart of a job: what it draws, what it says it means, and why it may be missing."""

    name: str  # data-chart
    title: str
    field: str  # IterationPoint's
    axes: tuple[Axis, str]  # the value axis, the x axis' title
    note: str
    empty: str  # no iteration has a value
    connector: str = ""  # no value because the job runs in connector mode
    over_time: bool = False  # points at the first claim's time, not a bar per iteration


CHARTS = (
    Chart(
        "records",
        "Records per iteration",
        "records",
        (Axis("records", count, number_ticks), "iteration"),
        "Records each iteration staged from the stream (its latest attempt's read; a failed "
        "staged iteration counts what it read before its script failed).",
        "No iteration shown recorded what it read yet.",
        "No record counts: in connector mode the engine reads the stream itself, so the ledger "
        "records no counts (staged jobs record what kiter read).",
    ),
    Chart(
        "duration",
        "Duration per iteration",
        "seconds",
        (Axis("duration", clock, duration_ticks), "iteration"),
        "From the latest attempt's claim to its end: reading the stream (staged jobs) and the "
        "run on the engine. Iterations under way or only staged have no bar yet.",
        "No iteration has finished yet.",
    ),
    Chart(
        "backlog",
        "Backlog age over time",
        "backlog",
        (Axis("backlog age", clock, duration_ticks), "began (UTC)"),
        "How far behind the stream each iteration began: the age of the oldest record it read, "
        "at its first claim (that time minus the earliest arrival time the iteration recorded "
        "on any shard; zero when it found nothing waiting). kiter status shows the backlog now.",
        "No iteration shown recorded what it read yet.",
        "No backlog over time: in connector mode the connector keeps the stream positions, so "
        "the ledger records no arrival times; the chart below shows the gaps between iterations "
        "instead.",
        over_time=True,
    ),
    Chart(
        "wait",
        "Time between iterations",
        "wait",
        (Axis("wait", clock, duration_ticks), "iteration"),
        "From the end of the previous iteration to this one's first claim: the time the stream "
        "was left unread between them (the schedule's cadence, plus any delay).",
        "No two consecutive iterations have finished and begun in order yet.",
    ),
)

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       margin: 24px auto; max-width: 1140px; padding: 0 16px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 4px; }
h3 { font-size: 15px; margin: 18px 0 2px; }
.meta, .note { color: #555; margin: 2px 0; } .note { font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 18px; margin: 10px 0 4px; font-size: 13px; }
.legend span::before { content: ""; display: inline-block; width: 12px; height: 12px;
       margin-right: 6px; vertical-align: -1px; background: var(--c); border-radius: 2px; }
.legend span.dot::before { border-radius: 50%; width: 9px; height: 9px; }
svg.chart { width: 100%; height: auto; display: block; margin: 4px 0 8px; }
svg.chart text { font-size: 12px; fill: #333; }
svg.chart text.axis-title { font-size: 12px; fill: #555; }
svg.chart text.attempts { font-size: 10px; fill: #b35f00; font-weight: 600; }
svg.chart line.grid { stroke: #e6e6e6; } svg.chart line.axis { stroke: #777; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
td, th { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; }
th { color: #555; font-weight: 600; border-bottom: 1px solid #ddd; }
td.reason { max-width: 640px; overflow-wrap: anywhere; }
.FAILED { color: #d62728; font-weight: 600; }
"""


def page(series: list[JobSeries], *, title: str, last: int, generated: float) -> str:
    """The whole report."""
    body = "".join(_job(s) for s in series) or '<p class="note">No jobs.</p>'
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="meta">From the iteration ledger at {iso(generated)} (UTC): each job\'s '
        f"newest {last} iterations, each as its latest attempt left it. Times are UTC; hover "
        "over a bar or point for its iteration's details.</p>"
        f"{body}</body></html>\n"
    )


def _job(s: JobSeries) -> str:
    head = (
        f'<section class="job" data-job="{escape(s.job)}"><h2>{escape(s.job)}</h2>'
        f'<p class="meta">{escape(_facts(s))}</p>'
    )
    if not s.points:
        return head + '<p class="note">The ledger holds no iteration of it yet.</p></section>'
    return head + _legend() + "".join(_charts(s)) + _failures(s) + "</section>"


def _facts(s: JobSeries) -> str:
    points = s.points
    facts = [f"logical name {s.logical_name}", f"{s.mode} mode", f"stream {s.stream}"]
    if points:
        span = f"iterations {points[0].iteration}–{points[-1].iteration}"
        facts.append(span + (" (older ones not shown)" if s.more else ""))
        facts.append(
            f"{sum(p.state == 'SUCCEEDED' for p in points)} succeeded, {len(s.failed)} failed, "
            f"{len(s.retried)} took more than one attempt"
        )
        staged = [p.records for p in points if p.records is not None]
        if staged:
            facts.append(f"{sum(staged):,} records staged")
        done = s.last_success
        if done is not None and done.finished is not None:
            facts.append(f"last success {iso(done.finished)}")
    return " · ".join(facts)


def _legend() -> str:
    items = [
        ("succeeded", COLOURS["SUCCEEDED"], ""),
        ("failed (its latest attempt)", COLOURS["FAILED"], ""),
        ("running or claimed", COLOURS["RUNNING"], ""),
        ("staged, not run yet", COLOURS["STAGED"], ""),
        (
            "more than one attempt (their number above the bar; a ring around a point)",
            RETRIED,
            "dot",
        ),
    ]
    spans = "".join(
        f'<span class="{cls}" style="--c: {colour}">{escape(text)}</span>'
        for text, colour, cls in items
    )
    return f'<div class="legend">{spans}</div>'


def _charts(s: JobSeries) -> list[str]:
    return [_chart(chart, s) for chart in CHARTS]


def _chart(chart: Chart, s: JobSeries) -> str:
    title = f"<h3>{escape(chart.title)}</h3>"
    valued = [p for p in s.points if getattr(p, chart.field) is not None]
    if not valued:
        why = chart.connector if s.mode != "staged" and chart.connector else chart.empty
        return f'{title}<p class="note">{escape(why)}</p>'
    if chart.over_time:
        drawn = time_chart(chart.name, _marks(valued, chart.field, x_time=True), *chart.axes)
    else:  # every iteration has its slot, a failure without a value its cross
        drawn = bar_chart(chart.name, _marks(s.points, chart.field), *chart.axes)
    return f'{title}<p class="note">{escape(chart.note)}</p>{drawn}'


def _marks(points: list[IterationPoint], field: str, *, x_time: bool = False) -> list[Mark]:
    return [
        Mark(
            iteration=p.iteration,
            x=(p.began or 0.0) if x_time else float(p.iteration),
            value=getattr(p, field),
            state=p.state,
            attempts=p.attempts,
            title=_tooltip(p),
        )
        for p in points
    ]


def _tooltip(p: IterationPoint) -> str:
    attempts = f"{p.attempts} attempt" + ("" if p.attempts == 1 else "s")
    lines = [f"iteration {p.iteration}: {p.state}, {attempts}"]
    if p.records is not None:
        lines.append(f"{p.records:,} records, {p.bytes or 0:,} bytes")
    if p.seconds is not None:
        steps = ", ".join(
            f"{name} {format_duration(v)}" for name, v in p.steps.items() if name != "total"
        )
        lines.append(f"took {format_duration(p.seconds)}" + (f" ({steps})" if steps else ""))
    if p.backlog is not None:
        lines.append(f"backlog when it began {format_duration(p.backlog)}")
    if p.wait is not None:
        lines.append(f"{format_duration(p.wait)} after the previous iteration ended")
    if p.began is not None and p.began != p.claimed:
        lines.append(f"first claimed {iso(p.began)}")
    if p.claimed is not None:
        ended = f", ended {iso(p.finished)}" if p.finished is not None else ""
        lines.append(f"claimed {iso(p.claimed)}{ended}")
    if p.reason:
        lines.append(p.reason if len(p.reason) <= 300 else p.reason[:300] + "…")
    return "\n".join(lines)


def _failures(s: JobSeries) -> str:
    """The iterations that failed or needed more than one attempt, newest first."""
    rows = [p for p in reversed(s.points) if p.failed or p.attempts > 1]
    if not rows:
        return '<h3>Failures and retries</h3><p class="note">None among these iterations.</p>'
    shown = rows[:FAILURES_SHOWN]
    cells = "".join(
        f'<tr class="failure" data-iteration="{p.iteration}"><td>{p.iteration}</td>'
        f'<td class="{escape(p.state)}">{escape(p.state)}</td><td>{p.attempts}</td>'
        f"<td>{iso(p.claimed) if p.claimed is not None else ''}</td>"
        f'<td class="reason">{escape(p.reason)}</td></tr>'
        for p in shown
    )
    more = (
        f'<p class="note">and {len(rows) - len(shown)} more (kiter iterations lists them all).</p>'
        if len(rows) > len(shown)
        else ""
    )
    return (
        '<h3>Failures and retries</h3><p class="note">The ledger keeps each iteration as its '
        "latest attempt left it: a retried iteration that then succeeded has no reason left."
        "</p><table><tr><th>iteration</th><th>state</th>"
        f"<th>attempts</th><th>last claimed</th><th>reason</th></tr>{cells}</table>{more}"
    )
