"""The report's charts hold the ledger's numbers: the real ledger on moto, driven through
iterations that succeed, fail, are retried, rerun, staged and left running."""

from __future__ import annotations

import re
from typing import Any

import pytest
from report_support import Shown, Step, charts, drive, rerun

from kiter.metastore.ledger import Ledger
from kiter.project import Project
from kiter.report import build_report
from kiter_support import FakeTime

pytestmark = pytest.mark.functional

CHARTS = {"records": "records", "duration": "seconds", "backlog": "backlog", "wait": "wait"}


def value(text: str) -> float | None:
    return None if text == "" else float(text)


def drawn(html: str, job: str, chart: str) -> dict[int, dict[str, str]]:
    return {int(m["data-iteration"]): m for m in charts(html)[(job, chart)]}


def report(project: Project, ledger: Any, *names: str, last: int = 500) -> str:
    jobs = [project.job(n) for n in names]
    return build_report(jobs, ledger, last=last, now=2e9, title="kiter report: test").html


def test_every_chart_shows_each_iterations_numbers_as_the_ledger_holds_them(
    project: Project, ledger: Ledger, clock: FakeTime
) -> None:
    steps = [
        Step(records=(60, 40), took=30, behind=20, gap=60),
        Step(records=(500, 250), ends=("FAILED", "SUCCEEDED"), took=95, behind=300, gap=120),
        Step(records=(0, 0), took=12, gap=45),  # caught up: nothing was waiting
        Step(records=(7, 3), ends=("FAILED", "FAILED", "SUCCEEDED"), took=240, behind=5, gap=30),
        Step(records=(1000, 2000), took=61, behind=900, gap=600),
        Step(records=(9, 1), ends=("FAILED",), took=44, behind=40, gap=90),
    ]
    shown = drive(ledger, clock, "top", steps)
    rerun(ledger, clock, "top", 1, steps[1], shown)  # on purpose, after the later ones
    html = report(project, ledger, "top")

    history = {r.iteration: r for r in ledger.history("top")}
    for chart, field in CHARTS.items():
        marks = drawn(html, "top", chart)
        expected: dict[int, Shown] = {
            n: s for n, s in shown.items() if chart != "backlog" or s.backlog is not None
        }
        assert sorted(marks) == sorted(expected), chart
        for n, mark in marks.items():
            assert value(mark["data-value"]) == getattr(expected[n], field), (chart, n)
            assert mark["data-state"] == history[n].state == expected[n].state
            assert int(mark["data-attempts"]) == history[n].attempts == expected[n].attempts
    # What the numbers above are, spelled out once: the retried iteration's duration is its
    # last attempt's; the rerun kept its backlog but lost iteration 2's wait.
    assert (shown[1].attempts, shown[1].seconds, shown[1].backlog) == (3, 95.0, 300.0)
    assert (shown[2].records, shown[2].backlog, shown[2].wait) == (0, 0.0, None)
    assert (shown[5].state, shown[5].records, shown[5].seconds) == ("FAILED", 10, 44.0)


def test_failures_are_red_and_retried_iterations_carry_their_attempts_above_the_bar(
    project: Project, ledger: Ledger, clock: FakeTime
) -> None:
    drive(
        ledger,
        clock,
        "top",
        [Step(), Step(ends=("FAILED", "FAILED", "SUCCEEDED")), Step(ends=("FAILED",))],
    )
    html = report(project, ledger, "top")
    section = html[html.index('data-chart="records"') :]
    section = section[: section.index("</svg>")]
    marks = re.findall(r'<g class="mark" data-iteration="(\d)".*?</g>', section, re.S)
    assert marks == ["0", "1", "2"]
    failed = re.search(r'data-iteration="2" data-state="FAILED".*?</g>', section, re.S)
    assert failed is not None and 'fill="#d62728"' in failed.group(0)
    retried = re.search(r'data-iteration="1" data-state="SUCCEEDED".*?</g>', section, re.S)
    assert retried is not None and 'class="attempts">3</text>' in retried.group(0)
    rows = re.findall(r'<tr class="failure" data-iteration="(\d)">', html)
    assert rows == ["2", "1"]  # newest first: the failure, then the retried one
    assert "FAILED: broke 2" in html


def test_a_connector_job_has_durations_and_waits_and_says_why_it_has_no_records(
    project: Project, ledger: Ledger, clock: FakeTime
) -> None:
    shown = drive(
        ledger,
        clock,
        "conn",
        [Step(took=40), Step(took=41, gap=300), Step(ends=("FAILED", "SUCCEEDED"), took=42)],
        staged=False,
    )
    html = report(project, ledger, "conn")
    found = charts(html)
    assert sorted(chart for job, chart in found) == ["duration", "wait"]
    durations = drawn(html, "conn", "duration")
    assert {n: value(m["data-value"]) for n, m in durations.items()} == {
        n: s.seconds for n, s in shown.items()
    }
    assert value(drawn(html, "conn", "wait")[1]["data-value"]) == 300.0
    assert "in connector mode the engine reads the stream itself" in html
    assert "in connector mode the connector keeps the stream positions" in html


def test_an_iteration_staged_and_one_running_are_drawn_as_neither_failed_nor_finished(
    project: Project, ledger: Ledger, clock: FakeTime
) -> None:
    drive(ledger, clock, "top", [Step(), Step(ends=("STAGED",))])
    drive(ledger, clock, "conn", [Step(), Step(ends=("RUNNING",))], staged=False)
    html = report(project, ledger, "top", "conn")
    staged = drawn(html, "top", "duration")[1]
    assert (staged["data-state"], staged["data-value"]) == ("STAGED", "")
    assert drawn(html, "top", "records")[1]["data-value"] == "100"  # what it staged
    running = drawn(html, "conn", "duration")[1]
    assert (running["data-state"], running["data-value"]) == ("RUNNING", "")
    assert "0 failed" in html and '<tr class="failure"' not in html


class CountingLedger:
    """The real ledger, with a note of every history read the report makes."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.reads: list[dict[str, Any]] = []

    def history(self, logical: str, **kwargs: Any) -> Any:
        self.reads.append({"logical": logical} | kwargs)
        return self.ledger.history(logical, **kwargs)


def test_only_the_newest_iterations_are_read_and_the_page_says_older_ones_exist(
    project: Project, ledger: Ledger, clock: FakeTime
) -> None:
    shown = drive(ledger, clock, "top", [Step(gap=60 + n) for n in range(9)])
    counting = CountingLedger(ledger)
    html = report(project, counting, "top", "later", last=4)
    assert counting.reads == [
        {"logical": "top", "newest_first": True, "limit": 5},
        {"logical": "later", "newest_first": True, "limit": 5},
    ]
    waits = drawn(html, "top", "wait")
    assert sorted(waits) == [5, 6, 7, 8]
    assert value(waits[5]["data-value"]) == shown[5].wait == 65.0  # from the one read beyond
    assert "iterations 5–8 (older ones not shown)" in html
    assert "The ledger holds no iteration of it yet." in html  # `later` never ran


def test_the_page_fetches_nothing_and_shows_a_reason_as_text(
    project: Project, ledger: Ledger, clock: FakeTime
) -> None:
    claim = ledger.claim("top")
    ledger.fail(claim, '<script src="https://example.com/x.js"></script> & "quotes"')
    html = report(project, ledger, "top")
    fetches = r"<script|<link|<img|<iframe|<object|\s(src|href)\s*=\s*[\"']|url\(|@import"
    assert not re.search(fetches, html, re.I)
    assert "&lt;script src=&quot;https://example.com/x.js&quot;&gt;" in html
