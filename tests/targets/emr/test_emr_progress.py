"""Following an EMR step on a progress board (kiter.cli.progress) with a fake clock: the heartbeat
off a terminal, the time in state counted from EMR's own StartDateTime, the console link, a
DescribeStep that does not answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest
from emr_moto import FakeTime, StepDriver

from kiter.cli.progress import Board
from kiter.durations import format_duration
from kiter.targets.base import Handle, Script, Unwatched
from kiter.targets.emr import EmrTarget
from kiter_support import REGION, RecordedProgress

pytestmark = pytest.mark.functional

MakeTarget = Callable[..., EmrTarget]
# EMR started the step five minutes before kiter began to follow it (another attempt did).
STEP_STARTED = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
FOLLOWED_FROM = STEP_STARTED.timestamp() + 300
# The step completes after kiter has followed it for ten minutes.
COMPLETES_AFTER = 600


class Beats:
    """A board off a terminal on a fake wall clock; its sleep ticks the board every second, as
    the board's own thread does, and the step completes after COMPLETES_AFTER seconds."""

    def __init__(self, steps: StepDriver) -> None:
        self.time = FakeTime(now=FOLLOWED_FROM)
        self.lines: list[tuple[float, str]] = []
        self.board = Board(self._print, clock=self.time.clock, ticker=False)
        self.steps = steps
        self.step_id = ""

    def _print(self, line: str) -> None:
        self.lines.append((self.time.now, line))

    def sleep(self, seconds: float) -> None:
        for _ in range(round(seconds)):
            self.time.advance(1)
            self.board.tick()
        if self.time.now - FOLLOWED_FROM >= COMPLETES_AFTER:
            self.steps.set_state(self.step_id, "COMPLETED")

    def running_step(self, target: EmrTarget, script: Script) -> str:
        self.step_id = target.start(script).id
        step = self.steps.step(self.step_id)
        step.state = "RUNNING"
        step.start_date_time = STEP_STARTED
        return self.step_id


@pytest.fixture
def beats(steps: StepDriver) -> Beats:
    return Beats(steps)


def on_board(make_target: MakeTarget, beats: Beats) -> EmrTarget:
    clock = beats.time.clock
    return make_target(clock=clock, now=clock, sleep=beats.sleep, progress=beats.board.line())


def test_a_step_that_stays_running_beats_at_least_once_a_minute_off_a_terminal(
    make_target: MakeTarget, hive_script: Script, beats: Beats
) -> None:
    target = on_board(make_target, beats)
    step_id = beats.running_step(target, hive_script)

    target.follow(Handle(step_id), Unwatched())

    times = [FOLLOWED_FROM] + [at for at, _ in beats.lines] + [beats.time.now]
    assert len(beats.lines) >= COMPLETES_AFTER // 60 - 1
    assert max(later - earlier for earlier, later in pairwise(times)) <= 60
    assert all("\x1b" not in line for _, line in beats.lines)  # plain lines, no terminal codes


def test_the_time_in_running_counts_from_the_steps_start_date_time_not_from_kiter(
    make_target: MakeTarget, hive_script: Script, beats: Beats, echoed: list[str]
) -> None:
    target = on_board(make_target, beats)
    step_id = beats.running_step(target, hive_script)

    target.follow(Handle(step_id), Unwatched())

    for at, line in beats.lines:
        in_state = format_duration(at - STEP_STARTED.timestamp())
        assert line == f"step {step_id} RUNNING for {in_state}"
    # The first line kiter keeps says so too: 5 minutes, not "after 0s".
    assert any(line.endswith(f"RUNNING for {format_duration(300)}") for line in echoed)


def test_following_a_step_names_its_clusters_page_in_the_emr_console(
    make_target: MakeTarget, hive_script: Script, beats: Beats, cluster_id: str, echoed: list[str]
) -> None:
    target = on_board(make_target, beats)
    step_id = beats.running_step(target, hive_script)

    target.follow(Handle(step_id), Unwatched())

    link = (
        f"https://{REGION}.console.aws.amazon.com/emr/home?region={REGION}"
        f"#/clusterDetails/{cluster_id}"
    )
    assert f"step {step_id} in the console: {link}" in echoed


def test_a_describe_step_that_has_not_answered_within_a_second_is_said_to_be_waited_for(
    make_target: MakeTarget, hive_script: Script, beats: Beats, emr: Any
) -> None:
    target = on_board(make_target, beats)
    step_id = beats.running_step(target, hive_script)

    def slow(**_: Any) -> None:  # the call hangs for 3 s while the board's thread ticks
        for _ in range(3):
            beats.time.advance(1)
            beats.board.tick()

    emr.meta.events.register("before-call.emr.DescribeStep", slow)
    target.follow(Handle(step_id), Unwatched())

    waited = [line for _, line in beats.lines if "waiting for EMR DescribeStep (1s)" in line]
    assert waited


def test_adding_a_step_is_one_wait_on_the_status_line(
    make_target: MakeTarget, hive_script: Script
) -> None:
    progress = RecordedProgress()

    make_target(progress=progress).start(hive_script)

    assert progress.calls == ["EMR to take step kiter:hourly_counts:hourly:7:2"]
