"""The report in a real browser: headless Chromium (Debian's package) draws the charts from the
file alone, and the DOM it builds holds one mark per iteration with the ledger's numbers."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from png_pixels import colours
from report_support import Step, charts, drive

from kiter.metastore.ledger import Ledger
from kiter.project import Project
from kiter.report import build_report
from kiter_support import FakeTime

pytestmark = pytest.mark.integration

BLUE, RED, AMBER = (0x2F, 0x6D, 0xB5), (0xD6, 0x27, 0x28), (0xF0, 0x8C, 0x00)
WIDTH, HEIGHT = 1200, 900


@pytest.fixture
def chromium() -> str:
    """Chromium's path, found before anything is set up; in CI (CI=true) its absence is a
    failure: .ci/run installs it."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("chromium is not installed, and CI=true: .ci/run installs it with apt-get")
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")


def browse(chromium: str, page: Path, scratch: Path, *what: str) -> str:
    """Run headless Chromium on the file, with nothing of its own online; its stdout."""
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-color-profile=srgb",  # the page's colours, not a display's idea of them
            f"--user-data-dir={scratch / 'profile'}",
            f"--window-size={WIDTH},{HEIGHT}",
            *what,
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture
def page(project: Project, ledger: Ledger, clock: FakeTime, tmp_path: Path) -> Path:
    """A report of 30 iterations of a staged job: four retried, the newest one failed with the
    most records (a red bar as tall as the chart), and a connector job."""
    steps = [
        Step(
            records=(100 + 37 * n % 400, 50 + 11 * n % 200),
            ends=("FAILED", "SUCCEEDED") if n % 7 == 3 else ("SUCCEEDED",),
            took=20 + 13 * n % 150,
            behind=10 + 29 * n % 500,
            gap=60 + 17 * n % 240,
        )
        for n in range(29)
    ]
    drive(ledger, clock, "top", [*steps, Step(records=(900, 900), ends=("FAILED",))])
    drive(ledger, clock, "conn", [Step(took=40 + n) for n in range(6)], staged=False)
    jobs = [project.job("top"), project.job("conn")]
    path = tmp_path / "report.html"
    path.write_text(
        build_report(jobs, ledger, last=500, now=clock.now, title="kiter report: test").html,
        encoding="utf-8",
    )
    return path


def test_the_screenshot_shows_the_bars_the_failure_and_the_retries(
    chromium: str, page: Path, tmp_path: Path
) -> None:
    shot = tmp_path / "shot.png"
    browse(chromium, page, tmp_path, f"--screenshot={shot}")
    counts = colours(shot)
    assert sum(counts.values()) == WIDTH * HEIGHT
    drawn = WIDTH * HEIGHT - counts[(255, 255, 255)]
    assert drawn > WIDTH * HEIGHT // 10  # not blank: the charts cover a good part of the view
    # The legend draws one 12x12 swatch of each colour and a 9x9 dot: the rest is the charts'.
    assert counts[BLUE] > 30_000  # the records chart's 29 blue bars, and the durations' below
    assert counts[RED] > 2_000  # the failed iteration's bar, the tallest
    assert counts[AMBER] > 150  # a dot above each retried iteration's bar, in both charts


def test_the_dom_the_browser_builds_has_a_mark_per_iteration_with_the_ledgers_numbers(
    chromium: str, page: Path, ledger: Ledger, tmp_path: Path
) -> None:
    dom = charts(browse(chromium, page, tmp_path, "--dump-dom"))
    history = ledger.history("top")
    assert sorted(chart for job, chart in dom if job == "top") == [
        "backlog",
        "duration",
        "records",
        "wait",
    ]
    records = dom[("top", "records")]
    assert [int(m["data-iteration"]) for m in records] == [r.iteration for r in history]
    assert [m["data-state"] for m in records] == [r.state for r in history]
    staged = [
        sum(int(s["records"]) for s in r.shards.values()) for r in history
    ]  # what each iteration recorded reading, shard by shard
    assert [int(m["data-value"]) for m in records] == staged
    assert len(dom[("conn", "duration")]) == 6 and ("conn", "records") not in dom
