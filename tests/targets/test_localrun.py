"""The local engines' one skeleton (kiter.targets.localrun), as the Pig and Hadoop targets use it:
a run's status line names its process and job, its time counted from when kiter followed it (the
engines tell no start time). The engine here is a small Python process, not a JVM."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kiter.hadoopcommand import HadoopCommand
from kiter.targets.base import Script, Unwatched
from kiter.targets.hadoop import HadoopTarget
from kiter.targets.localrun import LocalTarget
from kiter.targets.pig import PigTarget
from kiter_support import FakeTime, RecordedProgress


class WaitingEngine:
    """A PigEngine or a HadoopEngine whose run lasts until a file appears (the test's sleep
    makes it): the one command each target's run calls."""

    def __init__(self, go: Path) -> None:
        self.go = go

    def _waiting(self) -> list[str]:
        wait = f"import os, time\nwhile not os.path.exists({str(self.go)!r}): time.sleep(0.01)"
        return [sys.executable, "-c", wait]

    def command(self, script: Path, run_dir: Path, **_: object) -> list[str]:
        return self._waiting()

    def streaming_command(self, run_dir: Path, argv: object, **_: object) -> list[str]:
        return self._waiting()


def pig_script(tmp_path: Path) -> Script:
    del tmp_path  # a Pig script names no folder
    return Script(
        job="clicks_pig", engine="pig", text="-- nothing\n", logical_name="c", iteration=1
    )


def streaming_script(tmp_path: Path) -> Script:
    command = HadoopCommand(
        engine="streaming",
        settings=(),
        arguments=(),
        input=f"file://{tmp_path}/in",
        output=f"file://{tmp_path}/out",
    )
    return Script(
        job="clicks_streaming",
        engine="streaming",
        text="",
        logical_name="c",
        iteration=1,
        command=command,
    )


@pytest.mark.parametrize(
    ("target_type", "make_script", "label", "job"),
    [
        (PigTarget, pig_script, "Pig", "clicks_pig"),
        (HadoopTarget, streaming_script, "Hadoop", "clicks_streaming"),
    ],
)
def test_a_local_runs_line_names_its_process_and_counts_from_when_kiter_followed_it(
    tmp_path: Path,
    target_type: type[LocalTarget],
    make_script: Callable[[Path], Script],
    label: str,
    job: str,
) -> None:
    go = tmp_path / "go"
    clock = FakeTime(now=1_777_000_000.0)
    clock.hooks[3] = go.touch
    progress = RecordedProgress()
    target = target_type(
        "local",
        engine=WaitingEngine(go),
        runs=tmp_path / "runs",
        workdir=tmp_path,
        progress=progress,
        sleep=clock.sleep,
        now=clock.clock,
    )
    handle = target.start(make_script(tmp_path))

    outcome = target.follow(handle, Unwatched())

    assert outcome.state == "SUCCEEDED", outcome.cause
    pid = handle.live.process.pid
    assert progress.updates[0] == (f"{label} {pid} running", 1_777_000_000.0, job)
    assert progress.done_count == 1
