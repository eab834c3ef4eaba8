"""A Pig run's status line: the run's process and job, its time counted from when kiter followed
it (Pig tells no start time). The engine here is a small Python process, not Pig's JVM."""

from __future__ import annotations

import sys
from pathlib import Path

from kiter.targets.base import Script, Unwatched
from kiter.targets.pig import PigTarget
from kiter_support import FakeTime, RecordedProgress


class WaitingEngine:
    """A PigEngine whose run lasts until a file appears (the test's sleep makes it)."""

    def __init__(self, go: Path) -> None:
        self.go = go

    def command(self, script: Path, run_dir: Path, **_: object) -> list[str]:
        wait = f"import os, time\nwhile not os.path.exists({str(self.go)!r}): time.sleep(0.01)"
        return [sys.executable, "-c", wait]


def test_a_pig_runs_line_names_its_process_and_counts_from_when_kiter_followed_it(
    tmp_path: Path,
) -> None:
    go = tmp_path / "go"
    clock = FakeTime(now=1_777_000_000.0)
    clock.hooks[3] = go.touch
    progress = RecordedProgress()
    target = PigTarget(
        "pig",
        engine=WaitingEngine(go),  # type: ignore[arg-type]  # the one method a run calls
        runs=tmp_path / "runs",
        workdir=tmp_path,
        progress=progress,
        sleep=clock.sleep,
        now=clock.clock,
    )
    script = Script(
        job="clicks_pig", engine="pig", text="-- nothing\n", logical_name="c", iteration=1
    )
    handle = target.start(script)

    outcome = target.follow(handle, Unwatched())

    assert outcome.state == "SUCCEEDED"
    pid = handle.live.process.pid
    assert progress.updates[0] == (f"Pig {pid} running", 1_777_000_000.0, "clicks_pig")
    assert progress.done_count == 1
